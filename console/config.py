"""Typed settings, read from environment variables with working embedded defaults.

Demo/development mode (the default) runs with no configuration at all: SQLite in instance/,
a fixed development secret. Production mode (CONSOLE_ENV=production) refuses to start without a
DATABASE_URL and a BASE_URL, and with any development secret (a published, short or guessable SECRET_KEY,
a DIRECTORY_KEY that is no random Fernet key, DEMO, the embedded slapd's development password); it sends
session cookies over HTTPS only.
"""
from __future__ import annotations

import base64
import binascii
import math
import os
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("CONSOLE_INSTANCE_DIR", PROJECT_ROOT / "instance"))

DEV_SECRET = "dev-only-secret-not-for-production"
DEV_DIRECTORY_KEY = "L0yUNcj9Jvz1GwQv2ub1KINH1YET0oDv9f-DVchzxMg="  # demo mode only
DEV_LDAP_PASSWORD = "stimme-dev-ldap"  # the embedded slapd's root password in development
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 90  # what a character-frequency estimate gives secrets.token_hex(16) at the very least
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_hex(32))'"
GENERATE_FERNET_KEY = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class ConfigError(RuntimeError):
    """The configuration cannot run the console; the message says which variable to set."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _entropy_bits(text: str) -> float:
    """A rough upper bound of the randomness in `text`: its length times the Shannon entropy of its characters.
    It cannot see patterns ("abcabc…"), but it catches one repeated letter, short words and the like."""
    counts = Counter(text)
    return -sum(n * math.log2(n / len(text)) for n in counts.values())


def _fernet_key_problem(key: str) -> str | None:
    """Why `key` cannot be the production DIRECTORY_KEY, or None."""
    if key == DEV_DIRECTORY_KEY:
        return "is the development key published in the repository"
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
        Fernet(key)
    except (ValueError, UnicodeEncodeError, binascii.Error):
        return "is not a Fernet key (32 random bytes, URL-safe base64, 44 characters)"
    if len(set(raw)) < 16:
        return "is a valid Fernet key but not a random one"
    return None


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEV_SECRET
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'console.db'}"
    demo: bool = True
    default_language: str = "de"
    timezone: str = "Europe/Berlin"
    base_url: str = "http://127.0.0.1:5000"
    # Login throttling: an account locks after this many failures in a row,
    # an address is refused after this many failures within the window.
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # reverse proxies in front of gunicorn that add X-Forwarded-For and -Proto (PROXY_HOPS; 1 in the production
    # layout of docs/operations.md). 0: clients connect directly and their socket address is theirs.
    proxy_hops: int = 0
    login_ip_max_failures: int = 20
    login_ip_window_minutes: int = 15
    # A signed-in session ends after this many days even without signing out (console.auth.sessions).
    session_max_days: int = 30
    page_size: int = 25
    log_format: str = "json"
    # Phonebooks (console.directory): an empty LDAP_URL means the embedded slapd `make run` starts on loopback
    # (data in instance/slapd); the bind account then is its root. DIRECTORY_KEY encrypts Exchange credentials.
    ldap_url: str = ""
    ldap_bind_dn: str = "cn=admin,dc=stimme,dc=local"
    ldap_bind_password: str = DEV_LDAP_PASSWORD
    ldap_base_dn: str = "dc=stimme,dc=local"
    ldap_starttls: bool = False
    ldap_embedded_port: int = 3890
    ldap_connect_timeout: int = 2  # seconds to connect; then "directory not reachable", never a hung page
    ldap_timeout: int = 5          # seconds for any one LDAP answer (bind, search, write)
    directory_key: str = ""
    # Mail (console.mail): an empty SMTP_URL means the embedded Maildir sink on mail_sink_port, started by `make run`.
    smtp_url: str = ""
    mail_from: str = "stimme Konsole <noreply@stimme.local>"
    mail_max_bytes: int = 10 * 1024 * 1024
    mail_staff_to: str = "betrieb@stimme.local"  # who hears about mail that finally failed
    mail_sink_port: int = 8025
    maildir: str = str(INSTANCE_DIR / "maildir")
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 2525
    inbound_domains: str = "stimme.local"
    inbound_addresses: str = "stoerung=incidents"  # local part → handler name, comma-separated
    inbound_max_bytes: int = 25 * 1024 * 1024
    inbound_authserv_id: str = ""  # the receiving MTA's Authentication-Results id (console.mail.authresults)
    # Hold music and announcements (console.media): where files live, and what an upload may be.
    media_dir: str = str(INSTANCE_DIR / "media")
    media_max_bytes: int = 25 * 1024 * 1024
    media_music_max_seconds: int = 600
    media_announcement_max_seconds: int = 120
    # Voicemail (console.voicemail): the PBXs' WebDAV stores, and what one message may be.
    voicemail_dir: str = str(INSTANCE_DIR / "voicemail")
    voicemail_max_bytes: int = 16 * 1024 * 1024
    voicemail_max_seconds: int = 600
    # Fax server (console.fax, §4.3): the file store, the domain mailed faxes go to, limits and retries.
    fax_dir: str = str(INSTANCE_DIR / "fax")
    fax_domain: str = "fax.stimme.local"   # <number>@fax_domain sends a fax (also accepted by the inbound SMTP)
    fax_max_pages: int = 50
    fax_retries: int = 3                   # further attempts after a busy line or no answer
    fax_retry_minutes: int = 10            # between those attempts
    fax_lease_minutes: int = 30            # a gateway that took a job and never reported frees it after this
    fax_render_memory_mb: int = 768        # the child process that renders an e-mailed PDF (console.fax.sandbox)
    fax_render_seconds: int = 60
    # Backups (console.ops): where archives go, how often the scheduler makes one, how long they are kept.
    backup_dir: str = str(INSTANCE_DIR / "backups")
    backup_every_hours: int = 24
    backup_keep_days: int = 14
    backup_key: str = ""  # BACKUP_KEY / CONSOLE_BACKUP_KEY: base64 of 32 bytes; archives are then AES-GCM sealed
    drill_every_days: int = 7  # the restore drill (console/ops/drill.py) restores the newest archive for trial
    # /healthz says degraded when the scheduler leader has started no job for this long (the quickest job runs
    # every few seconds, so a live leader is seen all the time; a second scheduler takes over within its poll)
    scheduler_stale_seconds: int = 120
    # /metrics (console.ops.metrics): a bearer token, and/or the addresses that may read without one.
    metrics_token: str = ""
    metrics_allow: str = "127.0.0.1/32,::1/128"
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def ldap_effective_url(self) -> str:
        return self.ldap_url or f"ldap://127.0.0.1:{self.ldap_embedded_port}"

    @property
    def directory_fernet_key(self) -> str:
        """The Fernet key for Exchange credentials; the development key only in demo mode."""
        return self.directory_key or (DEV_DIRECTORY_KEY if self.demo and not self.production else "")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        values: dict = {}
        problems: list[str] = []
        for f in fields(cls):
            if f.name == "extra":
                continue
            name = f.name.upper()
            raw = env.get(name) or env.get(f"CONSOLE_{name}")
            if raw is None:
                continue
            if f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            elif f.type in ("int", int):
                try:
                    values[f.name] = int(raw.strip())
                except ValueError:
                    problems.append(f"{name} must be a whole number, not {raw!r}.")
            else:
                values[f.name] = raw
        if problems:
            raise ConfigError(" ".join(problems))
        production = values.get("env", cls.env) == "production"
        if production and "demo" not in values:
            values["demo"] = False  # demo mode is off in production unless asked for (and then refused below)
        settings = cls(**values)
        if production:
            given = lambda name: bool(env.get(name) or env.get(f"CONSOLE_{name}"))  # noqa: E731
            # Addresses and secrets that have development defaults must be given explicitly in production.
            missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "BASE_URL", "DIRECTORY_KEY",
                                         "LDAP_BIND_PASSWORD") if not given(name)]
            if missing:
                raise ConfigError(f"{', '.join(missing)} must be set in production (CONSOLE_ENV=production).")
            settings.refuse_unsafe_production()
        return settings

    def refuse_unsafe_production(self) -> None:
        """In production, refuse every development value that is a secret, saying what to set instead.

        create_app() calls it too, so settings built in code cannot skip it."""
        if not self.production:
            return
        problems = []
        key = self.secret_key
        if key == DEV_SECRET:
            problems.append("SECRET_KEY is the development secret published in the repository.")
        elif len(key) < MIN_SECRET_LENGTH or _entropy_bits(key) < MIN_SECRET_BITS:
            problems.append(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters of random text "
                            f"(about {MIN_SECRET_BITS} bits or more).")
        if problems:
            problems[-1] += f" Set SECRET_KEY to e.g. the output of: {GENERATE_SECRET}"
        fernet_problem = _fernet_key_problem(self.directory_key)
        if fernet_problem:
            problems.append(f"DIRECTORY_KEY {fernet_problem}; set it to the output of: {GENERATE_FERNET_KEY}")
        if self.demo:
            problems.append("DEMO is not allowed in production: its logins all have the password 'demo'. "
                            "Unset DEMO (or set DEMO=0).")
        if self.ldap_bind_password in (DEV_LDAP_PASSWORD, ""):
            problems.append("LDAP_BIND_PASSWORD is the embedded slapd's development password (or empty). Set it "
                            "to the directory account's real password; for the embedded slapd choose a new one, "
                            f"e.g. the output of: {GENERATE_SECRET}")
        if problems:
            raise ConfigError("Refusing to start in production (CONSOLE_ENV=production):\n- " + "\n- ".join(problems))

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "WTF_CSRF_TIME_LIMIT": None,
            "BABEL_DEFAULT_LOCALE": self.default_language,
            "BABEL_DEFAULT_TIMEZONE": self.timezone,
            "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
            # Room for the largest media upload plus the form around it (console.media refuses beyond that).
            "MAX_CONTENT_LENGTH": max(32 * 1024 * 1024, self.media_max_bytes + 1024 * 1024),
        }

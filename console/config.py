"""Typed settings, read from environment variables with working embedded defaults.

Demo/development mode (the default) runs with no configuration at all: SQLite in instance/,
a fixed development secret. Production mode (CONSOLE_ENV=production) refuses to start without
a real SECRET_KEY and a DATABASE_URL and sends session cookies over HTTPS only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("CONSOLE_INSTANCE_DIR", PROJECT_ROOT / "instance"))

DEV_SECRET = "dev-only-secret-not-for-production"
DEV_DIRECTORY_KEY = "L0yUNcj9Jvz1GwQv2ub1KINH1YET0oDv9f-DVchzxMg="  # demo mode only


class ConfigError(RuntimeError):
    """The configuration cannot run the console; the message says which variable to set."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    login_ip_max_failures: int = 20
    login_ip_window_minutes: int = 15
    page_size: int = 25
    log_format: str = "json"
    # Phonebooks (console.directory): an empty LDAP_URL means the embedded slapd `make run` starts on loopback
    # (data in instance/slapd); the bind account then is its root. DIRECTORY_KEY encrypts Exchange credentials.
    ldap_url: str = ""
    ldap_bind_dn: str = "cn=admin,dc=stimme,dc=local"
    ldap_bind_password: str = "stimme-dev-ldap"
    ldap_base_dn: str = "dc=stimme,dc=local"
    ldap_starttls: bool = False
    ldap_embedded_port: int = 3890
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
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f.name.upper()) or env.get(f"CONSOLE_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            elif f.type in ("int", int):
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        settings = cls(**values)
        if settings.production:
            # Secrets and addresses that have development defaults must be given explicitly in production.
            required = ["SECRET_KEY", "DATABASE_URL", "BASE_URL", "DIRECTORY_KEY"]
            if settings.ldap_url:
                required.append("LDAP_BIND_PASSWORD")
            missing = [name for name in required if not (env.get(name) or env.get(f"CONSOLE_{name}"))]
            if missing:
                raise ConfigError(f"{', '.join(missing)} must be set in production (CONSOLE_ENV=production).")
            if settings.demo and "DEMO" not in env:
                settings = cls(**{**values, "demo": False})
        return settings

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

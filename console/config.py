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
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

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
            if settings.secret_key == DEV_SECRET:
                raise ConfigError("SECRET_KEY must be set in production (CONSOLE_ENV=production).")
            if "DATABASE_URL" not in env:
                raise ConfigError("DATABASE_URL must be set in production (CONSOLE_ENV=production).")
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
            "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        }

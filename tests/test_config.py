"""Production mode refuses every development secret, and says what to set instead."""
import secrets

import pytest
from cryptography.fernet import Fernet

from console import create_app
from console.config import DEV_DIRECTORY_KEY, DEV_SECRET, ConfigError, Settings

COMPLETE = {"CONSOLE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": "postgresql://x/y",
            "BASE_URL": "https://konsole.stimme.de", "DIRECTORY_KEY": Fernet.generate_key().decode(),
            "LDAP_BIND_PASSWORD": secrets.token_urlsafe(24)}


def test_a_complete_production_configuration_starts_with_secure_cookies_and_no_demo():
    settings = Settings.from_env(COMPLETE)
    config = settings.flask_config()
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert settings.demo is False
    assert Settings.from_env({**COMPLETE, "SECRET_KEY": secrets.token_hex(16), "DEMO": "0"}).demo is False


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "BASE_URL", "DIRECTORY_KEY", "LDAP_BIND_PASSWORD"])
def test_production_requires_each_secret_and_address(name):
    with pytest.raises(ConfigError, match=f"{name}.*must be set in production"):
        Settings.from_env({k: v for k, v in COMPLETE.items() if k != name})


@pytest.mark.parametrize("change, says", [
    ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY is the development secret published in the repository"),
    ({"SECRET_KEY": "x"}, "SECRET_KEY must be at least 32 characters of random text"),
    ({"SECRET_KEY": "s" * 40}, "SECRET_KEY must be at least 32 characters of random text"),
    ({"SECRET_KEY": "geheimgeheimgeheimgeheimgeheimgeheim"}, "SECRET_KEY must be at least 32 characters"),
    ({"DIRECTORY_KEY": "k"}, "DIRECTORY_KEY is not a Fernet key"),
    ({"DIRECTORY_KEY": "k" * 44}, "DIRECTORY_KEY is not a Fernet key"),
    ({"DIRECTORY_KEY": "A" * 43 + "="}, "DIRECTORY_KEY is a valid Fernet key but not a random one"),
    ({"DIRECTORY_KEY": DEV_DIRECTORY_KEY}, "DIRECTORY_KEY is the development key published in the repository"),
    ({"DEMO": "1"}, "DEMO is not allowed in production"),
    ({"LDAP_BIND_PASSWORD": "stimme-dev-ldap"}, "LDAP_BIND_PASSWORD is the embedded slapd's development password"),
    ({"LOGIN_MAX_FAILURES": "fünf"}, "LOGIN_MAX_FAILURES must be a whole number"),
])
def test_production_refuses_development_and_weak_secrets_saying_what_to_set(change, says):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**COMPLETE, **change})
    message = str(refused.value)
    assert says in message
    if "SECRET_KEY" in says:
        assert "secrets.token_hex(32)" in message
    if "DIRECTORY_KEY" in says:
        assert "Fernet.generate_key()" in message


def test_every_problem_is_named_at_once():
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**COMPLETE, "SECRET_KEY": DEV_SECRET, "DIRECTORY_KEY": "k", "DEMO": "1",
                           "LDAP_BIND_PASSWORD": "stimme-dev-ldap"})
    assert all(name in str(refused.value) for name in ("SECRET_KEY", "DIRECTORY_KEY", "DEMO", "LDAP_BIND_PASSWORD"))


def test_settings_built_in_code_are_checked_too(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is the development secret"):
        create_app(Settings(env="production", database_url=f"sqlite:///{tmp_path / 'x.db'}", demo=False,
                            directory_key=COMPLETE["DIRECTORY_KEY"], ldap_bind_password="a real one"))


def test_demo_load_refuses_in_production(app, configure):
    configure(env="production", demo=True)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "never loaded in production" in result.output
    configure(env="development", demo=False)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "set DEMO=1" in result.output

"""Whole console installations for the backup tests: own database, own slapd, own file store.

The suite's shared app runs every test in a rolled-back transaction; a backup needs committed data and a
restore needs a truly empty target, so these tests build their own installations (on SQLite, or on PostgreSQL
in scratch databases next to TEST_DATABASE_URL's, dropped afterwards).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from console import create_app
from console.config import Settings
from console.directory.slapd import Slapd
from console.extensions import db


@dataclass
class Installation:
    app: object
    slapd: Slapd
    settings: Settings
    scratch_database: str | None

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
            directory = self.app.extensions.pop("directory", None)
            if directory:
                directory.close()
        self.slapd.destroy()
        if self.scratch_database:
            _admin(lambda conn: conn.execute(text(f'DROP DATABASE IF EXISTS "{self.scratch_database}" WITH (FORCE)')))


def _admin(action) -> None:
    engine = create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            action(conn)
    finally:
        engine.dispose()


def _database_url(root: Path, name: str) -> tuple[str, str | None]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{root / f'{name}.db'}", None
    url = make_url(base)
    scratch = f"{url.database}_{name}"
    _admin(lambda conn: conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')))
    _admin(lambda conn: conn.execute(text(f'CREATE DATABASE "{scratch}"')))
    return url.set(database=scratch).render_as_string(hide_password=False), scratch


def installation(root: Path, name: str, **settings) -> Installation:
    root.mkdir(parents=True, exist_ok=True)
    server = Slapd(root / f"slapd-{name}", durable=False)
    server.start()
    url, scratch = _database_url(root, name)
    config = Settings(database_url=url, secret_key="test-secret-for-backups", demo=True, log_format="text",
                      ldap_url=server.url, ldap_bind_dn=server.root_dn, ldap_bind_password=server.root_pw,
                      ldap_base_dn=server.suffix, media_dir=str(root / f"media-{name}"),
                      voicemail_dir=str(root / f"voicemail-{name}"), fax_dir=str(root / f"fax-{name}"),
                      backup_dir=str(root / "backups"), **settings)
    app = create_app(config)
    app.config["TESTING"] = True
    return Installation(app, server, config, scratch)

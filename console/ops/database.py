"""The database part of a backup: a consistent copy, its row counts and schema revision, and its restore.

SQLite is copied with its online backup API (a consistent copy while the console writes). PostgreSQL is dumped
by pg_dump in custom format from an exported snapshot, and the counts are taken in that same snapshot, so the
manifest describes exactly what the dump holds.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

SQLITE_PART = "database.sqlite"
POSTGRES_PART = "database.pgdump"


class DatabaseToolFailed(RuntimeError):
    """pg_dump or pg_restore did not succeed; the message carries its own words."""


def _tables(conn) -> list[str]:
    return sorted(inspect(conn).get_table_names())


def _counts_and_revision(conn) -> tuple[dict[str, int], str | None]:
    tables = _tables(conn)
    prep = conn.dialect.identifier_preparer
    counts = {name: conn.execute(text(f"SELECT count(*) FROM {prep.quote(name)}")).scalar_one() for name in tables}
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return counts, revision


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password (which goes in the environment, not the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def dump(engine: Engine, staging: Path) -> dict:
    """Write the database part into `staging`; returns its manifest entry (dialect, part, counts, revision)."""
    if engine.dialect.name == "sqlite":
        target = staging / SQLITE_PART
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        reader = create_engine(f"sqlite:///{target}")
        with reader.connect() as conn:
            counts, revision = _counts_and_revision(conn)
        reader.dispose()
        return {"dialect": "sqlite", "part": SQLITE_PART, "counts": counts, "revision": revision}
    if engine.dialect.name != "postgresql":
        raise DatabaseToolFailed(f"no backup for the {engine.dialect.name} dialect")
    uri, env = _libpq(engine.url.render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        # pg_dump reads the snapshot this transaction exported, so dump and counts see the same rows
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts, revision = _counts_and_revision(conn)
        result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                 f"--snapshot={snapshot}", f"--file={staging / POSTGRES_PART}", f"--dbname={uri}"],
                                env=env, capture_output=True, text=True)
    if result.returncode:
        raise DatabaseToolFailed(f"pg_dump: {result.stderr.strip()[-1000:]}")
    return {"dialect": "postgresql", "part": POSTGRES_PART, "counts": counts, "revision": revision}


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not _tables(conn)


def counts_and_revision(engine: Engine) -> tuple[dict[str, int], str | None]:
    with engine.connect() as conn:
        return _counts_and_revision(conn)


def restore(engine: Engine, part: Path, dialect: str) -> None:
    """Load the database part into the (empty) database of `engine`."""
    if dialect != engine.dialect.name:
        raise DatabaseToolFailed(f"the archive holds a {dialect} database; this installation uses "
                                 f"{engine.dialect.name}")
    if dialect == "sqlite":
        engine.dispose()
        source = sqlite3.connect(part)
        target = sqlite3.connect(engine.url.database)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    uri, env = _libpq(engine.url.render_as_string(hide_password=False))
    result = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                             "--single-transaction", f"--dbname={uri}", str(part)],
                            env=env, capture_output=True, text=True)
    if result.returncode:
        raise DatabaseToolFailed(f"pg_restore: {result.stderr.strip()[-1000:]}")

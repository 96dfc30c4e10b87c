"""Declarative base, naming convention and the UTC datetime type."""
from __future__ import annotations

import contextlib
import sqlite3
import weakref
from collections.abc import Iterator
from datetime import datetime, timezone

import enum

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An instant: refuses naive datetimes, stores UTC, returns aware UTC on every database.

    SQLite keeps no offset, so values are normalised to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: instants must carry a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(cls: type[enum.Enum]) -> Enum:
    """An enum stored by value as a plain string (portable, readable in SQL), validated on the way in."""
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and one writer work at once, and let SQLAlchemy own
    transactions (pysqlite's own BEGIN handling breaks SAVEPOINTs)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays crash-safe for the database; only a power cut may lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


# --- SQLite: every writer waits its turn ------------------------------------------------------------------
# A DEFERRED transaction that has read and then writes must upgrade its lock; when another connection holds the
# write lock (or committed since the read), SQLite answers SQLITE_BUSY at once, without waiting for busy_timeout.
# So a transaction of the console that may write starts with BEGIN IMMEDIATE: it takes the write lock first,
# waiting for it up to busy_timeout, and can never fail on the upgrade. Readers keep a plain BEGIN: in WAL mode
# they run beside the writer and never wait for it (bench/bench_sqlite_writers.py measures what IMMEDIATE for
# readers would cost). Which transactions may write is decided by who starts them: jobs, inbound mail and the CLI
# are there to write; an HTTP request writes unless its method is safe. A safe request that writes after all
# (bookkeeping such as a token's last use) and collides is run once more as a writer (make_writers_wait).
# The policy is the console's, for the console's engine; other engines in the process (a tool's, a test's
# observer) keep a plain BEGIN.

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_console_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def takes_write_lock() -> bool:
    """Whether a transaction of the console that starts now takes SQLite's write lock at once."""
    from flask import g, has_app_context, has_request_context, request
    if has_app_context() and g.get("sqlite_reader"):
        return False
    if not has_request_context():
        return True
    return request.method not in SAFE_METHODS or bool(g.get("sqlite_writer"))


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        immediate = conn.engine in _console_engines and takes_write_lock()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextlib.contextmanager
def read_first(session) -> Iterator[None]:
    """Reads that end before slow work (an argon2 verify) so that no lock is held through it: the block runs in a
    reader's transaction (a plain BEGIN on SQLite), which ends with the block; the writes after it start their own.
    Inside a transaction the caller already began, the block simply reads in that one."""
    from flask import g
    if session().in_transaction():   # session: the scoped session; its current Session knows
        yield
        return
    before = g.get("sqlite_reader")
    g.sqlite_reader = True
    try:
        yield
    finally:
        g.sqlite_reader = before
        session.rollback()   # it only read: ending it loses nothing


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY ("database is locked") and its extended codes, e.g. SQLITE_BUSY_SNAPSHOT."""
    orig = getattr(exc, "orig", exc)
    return (isinstance(orig, sqlite3.OperationalError)
            and (getattr(orig, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY)


def make_writers_wait(app) -> None:
    """Apply the policy above to the app's engines, and run a safe request again as a writer when it wrote in
    its deferred transaction and SQLite refused the upgrade (safe methods may be repeated, RFC 9110 §9.2.2)."""
    import functools
    import logging

    from flask import g, request
    from sqlalchemy.exc import OperationalError

    from console.extensions import db

    with app.app_context():
        _console_engines.update(db.engines.values())
    dispatch = app.dispatch_request

    @functools.wraps(dispatch)
    def dispatch_request():
        try:
            return dispatch()
        except OperationalError as exc:
            if not is_sqlite_busy(exc) or g.get("sqlite_writer") or request.method not in SAFE_METHODS:
                raise
            db.session.rollback()
            g.sqlite_writer = True
            logging.getLogger("console.db").info("%s %s wrote in a read transaction and collided; run again as "
                                                 "a writer", request.method, request.path)
            return dispatch()

    app.dispatch_request = dispatch_request

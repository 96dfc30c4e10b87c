"""SQLite as the embedded default: writers wait their turn instead of failing with "database is locked".

Real concurrency on a database file of the test's own (WAL, as `make run` has it): threads with their own
connections, and a second connection holding the write lock while the console answers a request.
"""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, text

from console import create_app
from console.config import Settings
from console.extensions import db

pytestmark = pytest.mark.no_db


def test_writers_that_read_first_take_turns_and_lose_nothing(tmp_path):
    """Four workers (as the scheduler's jobs or the SMTP handlers do, each in its own app context and connection)
    number 25 items each as "highest so far + 1", reading and then writing: every transaction succeeds and no
    number is given twice. With DEFERRED transactions most of them failed at once with "database is locked"."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'numbers.db'}", secret_key="test",
                              log_format="text"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE item (number INTEGER NOT NULL UNIQUE, worker INTEGER NOT NULL)"))
        db.session.commit()
    errors: list[str] = []
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        start.wait()
        for _ in range(25):
            with app.app_context():
                try:
                    highest = db.session.scalar(text("SELECT coalesce(max(number), 0) FROM item"))
                    db.session.execute(text("INSERT INTO item (number, worker) VALUES (:n, :w)"),
                                       {"n": highest + 1, "w": n})
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001  collected and asserted below
                    errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        assert db.session.scalars(text("SELECT number FROM item ORDER BY number")).all() == list(range(1, 101))
        db.engine.dispose()


def test_other_engines_keep_a_plain_begin(tmp_path):
    """A connection of another engine (a tool's, a test's observer) reads beside the console's writer: it takes
    no write lock, so it does not wait for the writer of its own thread."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'own.db'}", secret_key="test", log_format="text"))
    with app.app_context():
        db.session.execute(text("CREATE TABLE item (n INTEGER)"))
        db.session.execute(text("INSERT INTO item (n) VALUES (1)"))   # the console's writer holds the lock …
        observer = create_engine(db.engine.url)
        with observer.connect() as conn:   # … and this reads the committed state at once
            conn.execute(text("PRAGMA busy_timeout=0"))
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'item'")).scalar() == 0
        observer.dispose()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def own_app(tmp_path):
    """An app on a SQLite file of its own, with one test route that reads and then writes in a GET (as the
    bookkeeping of a token's last use does) and one that only reads."""
    path = tmp_path / "console.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="test", log_format="text"))
    app.config["TESTING"] = True

    @app.get("/_test/count-visit")
    def count_visit():
        visits = db.session.scalar(text("SELECT count(*) FROM visit"))
        db.session.execute(text("INSERT INTO visit (n) VALUES (:n)"), {"n": visits + 1})
        db.session.commit()
        return str(visits + 1)

    @app.get("/_test/visits")
    def visits():
        return str(db.session.scalar(text("SELECT count(*) FROM visit")))

    with app.app_context():
        db.session.execute(text("CREATE TABLE visit (n INTEGER NOT NULL)"))
        db.session.commit()
        db.engine.dispose()
    yield app, path


def _hold_write_lock(path) -> sqlite3.Connection:
    """Another process's writer, mid-transaction: it holds SQLite's write lock until it commits."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO visit (n) VALUES (0)")
    return other


def test_a_get_that_writes_waits_for_the_writer_instead_of_a_500(own_app):
    app, path = own_app
    client = app.test_client()
    assert client.get("/_test/visits").status_code == 200   # the connection is open and in WAL mode
    other = _hold_write_lock(path)
    release = threading.Timer(0.5, other.commit)   # the other writer finishes its work a moment later
    release.start()
    try:
        response = client.get("/_test/count-visit")
    finally:
        release.join()
        other.close()
    assert response.status_code == 200
    assert client.get("/_test/visits").text == "2"   # the other writer's row and this one


def test_a_reader_does_not_wait_for_a_writer(own_app):
    """Pages that only read are answered while another process writes (WAL): readers take no write lock."""
    app, path = own_app
    client = app.test_client()
    other = _hold_write_lock(path)
    try:
        with app.app_context():   # a reader that waited for the lock would fail at once
            raw = db.engine.raw_connection()
            raw.execute("PRAGMA busy_timeout=0")
            raw.close()   # back to the pool, where the request finds it
        response = client.get("/_test/visits")
    finally:
        other.rollback()
        other.close()
    assert (response.status_code, response.text) == (200, "0")

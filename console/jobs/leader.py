"""Only one scheduler runs jobs: it holds a PostgreSQL advisory lock, or a file lock next to a SQLite file.

Both are released by the operating system or the database when the holder dies, so a waiting scheduler
takes over without anyone cleaning up.
"""
from __future__ import annotations

import fcntl
import zlib
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from console.config import INSTANCE_DIR

ADVISORY_KEY = zlib.crc32(b"stimme-console scheduler") & 0x7FFFFFFF


class FileLeaderLock:
    def __init__(self, path: Path):
        self.path = path
        self._file = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def still_held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __str__(self) -> str:
        return f"file lock {self.path}"


class AdvisoryLeaderLock:
    """Held on one dedicated connection for the scheduler's whole life."""

    # one leader per schema: consoles (or test runs) sharing a database in different schemas do not block each other
    KEY_SQL = "(CAST(:key AS bigint) << 32) + hashtext(current_schema())"

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn = None

    def acquire(self) -> bool:
        conn = self.engine.connect()
        got = conn.execute(text(f"SELECT pg_try_advisory_lock({self.KEY_SQL})"), {"key": ADVISORY_KEY}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:  # the connection (and with it the lock) is gone
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text(f"SELECT pg_advisory_unlock({self.KEY_SQL})"), {"key": ADVISORY_KEY})
                self._conn.commit()
                self._conn.close()
            except Exception:
                self._conn.invalidate()
            self._conn = None

    def __str__(self) -> str:
        return f"PostgreSQL advisory lock {ADVISORY_KEY}"


def leader_lock(engine: Engine) -> FileLeaderLock | AdvisoryLeaderLock:
    url = make_url(str(engine.url))
    if url.get_backend_name() == "postgresql":
        return AdvisoryLeaderLock(engine)
    database = url.database
    if database and database != ":memory:":
        return FileLeaderLock(Path(database).with_name(Path(database).name + ".scheduler.lock"))
    return FileLeaderLock(INSTANCE_DIR / "scheduler.lock")

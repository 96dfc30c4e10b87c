"""The restore drill: the newest archive restored into a scratch database and a scratch slapd, compared with its
manifest, and the result recorded — so a backup that would not restore is found on a quiet day, not in a crisis.

The scratch places are the drill's own and are removed afterwards: a SQLite file in a temporary folder, or a
PostgreSQL database named after the console's with "_drill" (the console's database role needs CREATEDB), and
a slapd of the project's own launcher on a free loopback port (the scheduler's machine needs slapd installed).
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from console import clock
from console.directory.connection import Directory, LdapConfig
from console.directory.slapd import Slapd
from console.extensions import db
from console.ops import archive, backup, database, directory, records


class DrillFailed(RuntimeError):
    """The archive did not restore as its manifest says."""


def _scratch_engine(folder: Path):
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return create_engine(f"sqlite:///{folder / 'drill.db'}"), None
    name = f"{url.database}_drill"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return create_engine(make_url(url).set(database=name)), (admin, name)


def run(path: Path) -> str:
    """Restore `path` into scratch places and compare; returns what was checked, raises DrillFailed."""
    settings = current_app.extensions["settings"]
    folder = Path(tempfile.mkdtemp(prefix="stimme-drill-"))
    server = Slapd(folder / "slapd", suffix=settings.ldap_base_dn, durable=False)
    engine, dropper = None, None
    try:
        try:
            manifest = archive.extract_verified(path, folder / "parts")
        except archive.BackupDamaged as exc:
            raise DrillFailed(str(exc)) from None
        engine, dropper = _scratch_engine(folder)
        database.restore(engine, folder / "parts" / manifest["database"]["part"], manifest["database"]["dialect"])
        counts, revision = database.counts_and_revision(engine)
        if counts != manifest["database"]["counts"] or revision != manifest["revision"]:
            raise DrillFailed(f"the restored database differs from the manifest of {path.name}")
        server.start()
        scratch = Directory(LdapConfig(url=server.url, bind_dn=server.root_dn, bind_password=server.root_pw,
                                       base_dn=server.suffix))
        try:
            directory.restore(scratch, folder / "parts" / manifest["directory"]["part"])
            entries = directory.below_base(scratch) + 1
        finally:
            scratch.close()
        if entries != manifest["directory"]["entries"]:
            raise DrillFailed(f"{entries} directory entries restored, the manifest of {path.name} says "
                              f"{manifest['directory']['entries']}")
        return (f"{path.name}: {len(counts)} tables, {sum(counts.values())} rows, {entries} directory entries, "
                f"{sum(manifest['files'].values())} files as in the manifest")
    finally:
        server.destroy()
        if engine is not None:
            engine.dispose()
        if dropper:
            admin, name = dropper
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def drill_recorded(path: Path | None = None) -> records.BackupRecord:
    """Drill the newest archive (or `path`) and record the result, good or bad."""
    path = path or getattr(backup.newest(), "path", None)
    if path is None:
        return records.backup_done("drill", ok=False, detail="no archive to drill: no backup has been made")
    try:
        detail = run(Path(path))
    except Exception as exc:  # noqa: BLE001  every failure is the drill's finding
        db.session.rollback()
        return records.backup_done("drill", ok=False, archive=str(path), detail=f"{type(exc).__name__}: {exc}")
    return records.backup_done("drill", ok=True, archive=str(path), detail=detail)


def drill_when_due() -> None:
    settings = current_app.extensions["settings"]
    latest = records.last("drill")
    if latest is not None and clock.now() - latest.finished_at < timedelta(days=settings.drill_every_days):
        return
    drill_recorded()

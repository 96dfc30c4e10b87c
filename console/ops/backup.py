"""`flask --app app backup create`: one archive with everything a restore needs, and the retention that keeps N days of them.

What goes in: the database (console/ops/database.py), the directory as LDIF (console/ops/directory.py), every
file store (console/ops/files.py), and a manifest with the schema revision, counts and each part's SHA-256.
Secrets (SECRET_KEY, DIRECTORY_KEY, passwords) are configuration, not data: they are never in an archive and
must be kept apart, as the operations guide says.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app

from console import clock
from console.directory.connection import get_directory
from console.extensions import db
from console.ops import archive, database, directory, files, sealing

PREFIX = "stimme-backup-"


@dataclass(frozen=True)
class Backup:
    path: Path
    created: datetime

    @property
    def age(self) -> timedelta:
        return clock.now() - self.created


def _stamp(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def create(target_dir: Path | None = None) -> Path:
    """Make one archive in `target_dir` (BACKUP_DIR by default) and return its path."""
    settings = current_app.extensions["settings"]
    target_dir = Path(target_dir or settings.backup_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    created = clock.now()
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target_dir))
    try:
        db_facts = database.dump(db.engine, staging)
        dir_facts = directory.export(get_directory(), staging)
        file_counts = files.copy_out(settings, staging)
        manifest = {
            "format": archive.FORMAT,
            "created": created.isoformat(),
            "created_epoch": created.timestamp(),
            "revision": db_facts["revision"],
            "database": db_facts,
            "directory": dir_facts,
            "files": file_counts,
            "parts": archive.describe_parts(staging),
        }
        return archive.write(staging, manifest, target_dir / f"{PREFIX}{_stamp(created)}{archive.SUFFIX}",
                             key=settings.backup_key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _created(path: Path) -> datetime:
    """When the archive was made: from its manifest, or for a sealed one (not decrypted just to list it) from
    the UTC stamp in its name, which create() wrote from the same instant."""
    if sealing.is_sealed(path):
        stamp = path.name[len(PREFIX):-len(archive.SUFFIX)]
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(archive.read_manifest(path)["created"])


def existing(target_dir: Path | None = None) -> list[Backup]:
    """The complete archives in the folder, newest first (a damaged one is left out)."""
    folder = Path(target_dir or current_app.extensions["settings"].backup_dir)
    found = []
    for path in folder.glob(f"{PREFIX}*{archive.SUFFIX}"):
        try:
            created = _created(path)
        except (archive.BackupDamaged, KeyError, ValueError, OSError):
            continue
        found.append(Backup(path, created))
    return sorted(found, key=lambda b: b.created, reverse=True)


def newest(target_dir: Path | None = None) -> Backup | None:
    backups = existing(target_dir)
    return backups[0] if backups else None


def prune(keep_days: int, target_dir: Path | None = None) -> list[Path]:
    """Delete archives older than `keep_days`, never the newest one; also leftovers of interrupted runs."""
    folder = Path(target_dir or current_app.extensions["settings"].backup_dir)
    removed = []
    for backup in existing(folder)[1:]:
        if backup.age > timedelta(days=keep_days):
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    hour_ago = time.time() - 3600
    for leftover in [*folder.glob(f"*{archive.SUFFIX}{archive.PARTIAL}"), *folder.glob(".staging-*")]:
        if leftover.stat().st_mtime < hour_ago:  # a run that died, not one writing now
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed

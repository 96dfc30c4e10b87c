"""Scheduled backups: the ticker looks at the newest archive and makes one when it is older than
BACKUP_EVERY_HOURS, so a backup missed while no scheduler ran is made as soon as one runs again.
Every backup, good or failed, is recorded (console.ops.records) for the Betrieb page and /metrics."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import current_app

from console.extensions import db
from console.ops import backup, records

log = logging.getLogger("console.ops")


def backup_recorded(target_dir: Path | None = None) -> Path:
    """Write one backup and record it; a failure is recorded and raised again."""
    try:
        path = backup.create(target_dir)
    except Exception as exc:
        db.session.rollback()
        records.backup_done("backup", ok=False, detail=f"{type(exc).__name__}: {exc}")
        raise
    records.backup_done("backup", ok=True, archive=str(path), size=path.stat().st_size)
    return path


def backup_when_due() -> None:
    settings = current_app.extensions["settings"]
    latest = backup.newest()
    if latest is not None and latest.age < timedelta(hours=settings.backup_every_hours):
        return
    path = backup_recorded()
    log.info("backup written: %s", path)
    for removed in backup.prune(settings.backup_keep_days):
        log.info("old backup removed: %s", removed)

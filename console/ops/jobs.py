"""Scheduled backups: the ticker looks at the newest archive and makes one when it is older than
BACKUP_EVERY_HOURS, so a backup missed while no scheduler ran is made as soon as one runs again."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from console.ops import backup

log = logging.getLogger("console.ops")


def backup_when_due() -> None:
    settings = current_app.extensions["settings"]
    latest = backup.newest()
    if latest is not None and latest.age < timedelta(hours=settings.backup_every_hours):
        return
    path = backup.create()
    log.info("backup written: %s", path)
    for removed in backup.prune(settings.backup_keep_days):
        log.info("old backup removed: %s", removed)

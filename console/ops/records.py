"""Writing what operations keep: a job's run, a backup or drill. Each is its own small commit, after the work,
so a failed job is still recorded and a failed record never undoes the work."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from console import clock
from console.extensions import db
from console.ops.models import BackupRecord, JobStatus

log = logging.getLogger("console.ops")


def job_ran(job_id: str, started: datetime, seconds: float, error: str | None) -> None:
    try:
        status = db.session.get(JobStatus, job_id)
        if status is None:
            status = JobStatus(job_id=job_id, runs=0, failures=0)
            db.session.add(status)
        status.last_started_at, status.last_duration_seconds = started, seconds
        status.last_ok, status.last_error = error is None, error
        status.runs += 1
        if error is None:
            status.last_ok_at = clock.now()
        else:
            status.failures += 1
        db.session.commit()
    except Exception:  # noqa: BLE001  the ticker goes on without the record
        log.exception("could not record the run of job %s", job_id)
        db.session.rollback()


def backup_done(kind: str, ok: bool, archive: str | None = None, size: int | None = None,
                detail: str | None = None) -> BackupRecord:
    record = BackupRecord(kind=kind, ok=ok, archive=archive, size=size, detail=(detail or None) and detail[:2000],
                          finished_at=clock.now())
    db.session.add(record)
    db.session.commit()
    return record


def last(kind: str, ok_only: bool = False) -> BackupRecord | None:
    query = select(BackupRecord).where(BackupRecord.kind == kind)
    if ok_only:
        query = query.where(BackupRecord.ok.is_(True))
    return db.session.scalar(query.order_by(BackupRecord.finished_at.desc(), BackupRecord.id.desc()).limit(1))

"""Scheduler job: queue the Exchange syncs that are due, then carry out queued runs one by one."""
from __future__ import annotations

from sqlalchemy import select

from console.directory import exchange
from console.directory.connection import get_directory
from console.directory.models import SyncRun
from console.extensions import db

MAX_RUNS_PER_TICK = 5


def sync_exchange() -> None:
    exchange.queue_due_runs()
    db.session.commit()
    for _ in range(MAX_RUNS_PER_TICK):
        run = db.session.scalar(select(SyncRun).where(SyncRun.status == "queued").order_by(SyncRun.id).limit(1))
        if run is None:
            return
        # Claim it: only one scheduler runs (leader lock), but a stale "queued" must not run twice in a tick.
        run.status = "running"
        db.session.commit()
        exchange.run_sync(run, get_directory(), commit=db.session.commit)

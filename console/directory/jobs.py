"""Scheduler jobs: the Exchange syncs that are due; private books brought in line with the PBXs' users."""
from __future__ import annotations

import ldap
from sqlalchemy import select

from console import clock
from console.directory import exchange
from console.directory.connection import get_directory
from console.directory.models import SyncRun, SyncStatus
from console.extensions import db
from console.jobs.shape import run_items

MAX_RUNS_PER_TICK = 5


def _queued_runs() -> list[int]:
    exchange.queue_due_runs()
    return list(db.session.scalars(select(SyncRun.id).where(SyncRun.status == SyncStatus.QUEUED)
                                   .order_by(SyncRun.id).limit(MAX_RUNS_PER_TICK)))


def _carry_out(run_id: int, run: SyncRun) -> None:
    for _checkpoint in exchange.sync_steps(run, get_directory()):
        db.session.commit()   # the progress so far, for the status fragment


def _record_crash(run_id: int, exc: Exception) -> None:
    """A fault the sync does not expect (a bug, the directory gone): this run fails with it, the next one goes."""
    run = db.session.get(SyncRun, run_id, populate_existing=True)
    run.status, run.finished_at = SyncStatus.FAILED, clock.now()
    run.error = f"{type(exc).__name__}: {exc}"[:1000]
    db.session.flush()


def sync_exchange() -> None:
    """The due Exchange syncs in the job shape (console.jobs.shape): each run is taken (running) in its own commit,
    carried out with a commit at every checkpoint, and a crash fails that run alone."""
    run_items(claim=_queued_runs, start=exchange.start_run, record=_carry_out, fail=_record_crash)


def reconcile_private_books() -> None:
    """Every PBX's private books where its users are (console.directory.private): repairs what a directory
    outage at the moment of a user change left behind."""
    from console.accounts.models import Pbx
    from console.directory.connection import DirectoryUnavailable
    from console.directory.private import log, reconcile_pbx

    directory = get_directory()
    for pbx in db.session.scalars(select(Pbx).order_by(Pbx.id)):
        try:
            reconcile_pbx(directory, pbx)
        except DirectoryUnavailable as exc:
            log.warning("private phonebooks not reconciled (directory unavailable): %s", exc)
            break
        except ldap.LDAPError as exc:  # one PBX's trouble stops no other
            log.error("private phonebooks of %s not reconciled: %s", pbx.name, exc)
    db.session.rollback()  # read only

"""Scheduler jobs: the Exchange syncs that are due; private books brought in line with the PBXs' users."""
from __future__ import annotations

import ldap
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

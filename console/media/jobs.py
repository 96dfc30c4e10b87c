"""Background work of the media feature: plain functions the scheduler (or the CLI) calls in an app context."""
from __future__ import annotations

from sqlalchemy import select

from console.extensions import db
from console.jobs.shape import run_items
from console.media import services
from console.media.models import MediaVersion, VersionState


def _pending() -> list[int]:
    return list(db.session.scalars(select(MediaVersion.id).where(MediaVersion.state == VersionState.PENDING)
                                   .order_by(MediaVersion.id)))


def convert_pending() -> int:
    """Convert every stored upload that waits for it, one by one in the job shape (console.jobs.shape): the version
    shows CONVERTING while it is decoded outside any transaction, so the console stays writable meanwhile. A bad
    file marks its version failed (the original stays) and the rest go on. Returns how many were taken."""
    return run_items(claim=_pending, start=services.start_conversion, work=services.decode,
                     record=services.finish_conversion, fail=services.fail_conversion)

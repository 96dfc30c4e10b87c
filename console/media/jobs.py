"""Background work of the media feature: plain functions the scheduler (or the CLI) calls in an app context."""
from __future__ import annotations

from sqlalchemy import select

from console.extensions import db
from console.media import services
from console.media.models import MediaVersion, VersionState


def convert_pending() -> int:
    """Convert every stored upload that waits for it; one commit at the end. Returns how many were done.

    A bad file marks its version failed (the original stays); a crash leaves them pending for the next run.
    """
    query = select(MediaVersion.id).where(MediaVersion.state == VersionState.PENDING).order_by(MediaVersion.id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)   # a second runner takes other versions
    ids = list(db.session.scalars(query))
    for version_id in ids:
        services.convert_version(db.session.get(MediaVersion, version_id))
    db.session.commit()
    return len(ids)

"""Tell staff (MAIL_STAFF_TO) when the last backup or restore drill failed or is older than configured.
At most one mail a day for the same findings: the outbox's idempotency key holds the Berlin date."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from console import clock
from console.extensions import db
from console.ops import records


def findings() -> list[str]:
    settings = current_app.extensions["settings"]
    now = clock.now()
    found = []
    for kind, allowed in (("backup", timedelta(hours=settings.backup_every_hours + 2)),
                          ("drill", timedelta(days=settings.drill_every_days, hours=2))):
        latest, good = records.last(kind), records.last(kind, ok_only=True)
        if latest is not None and not latest.ok:
            found.append(f"{kind}_failed")
        if good is None or now - good.finished_at > allowed:
            found.append(f"{kind}_old")
    return found


def warn_staff() -> None:
    from console.mail.outbox import queue_mail
    settings = current_app.extensions["settings"]
    found = findings()
    if not found:
        return
    day = clock.now().astimezone(clock.BERLIN).date().isoformat()
    queue_mail(key=f"ops-warning:{day}:{','.join(found)}", to=settings.mail_staff_to, template="ops_warning",
               language=settings.default_language,
               context={"findings": found, "backup": records.last("backup"), "drill": records.last("drill"),
                        "good_backup": records.last("backup", ok_only=True),
                        "good_drill": records.last("drill", ok_only=True),
                        "base_url": settings.base_url.rstrip("/")})
    db.session.commit()

"""Demo licences (§2.3, four weeks): staff and the reseller are warned 7 days and 1 day before the end and told
when it ended. Expiry itself is the date (Pbx.demo_expired: no new users or trunks); nothing is deleted."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from console import clock
from console.accounts.models import LicenceKind, Pbx
from console.extensions import db
from console.mail.outbox import queue_mail

WARN_DAYS = (7, 1)


def _stage(days_left: int) -> str | None:
    """Which notice is due: a stage is sent once (keyed), and a late scheduler sends only the latest one due."""
    if days_left < 0:
        return "ended"
    if days_left <= WARN_DAYS[1]:
        return f"{WARN_DAYS[1]}d"
    if days_left <= WARN_DAYS[0]:
        return f"{WARN_DAYS[0]}d"
    return None


def queue_demo_notices() -> None:
    """Queue each due demo notice once (the outbox key makes a second run a no-op). Flushes, the job commits."""
    today = clock.today_berlin()
    settings = current_app.extensions["settings"]
    demo_pbxs = db.session.scalars(select(Pbx).where(Pbx.licence == LicenceKind.DEMO).order_by(Pbx.id))
    for pbx in demo_pbxs:
        end = pbx.demo_end
        stage = _stage((end - today).days)
        if stage is None:
            continue
        reseller = pbx.customer.reseller
        context = {"pbx": pbx.name, "customer": pbx.customer.name, "end": end, "stage": stage,
                   "url": f"{settings.base_url.rstrip('/')}/customers/{pbx.customer_id}"}
        for who, to, language in (("reseller", reseller.notice_email, reseller.language or "de"),
                                  ("staff", settings.mail_staff_to, settings.default_language)):
            key = f"demo:{pbx.id}:{pbx.licence_start.isoformat()}:{stage}:{who}"
            queue_mail(key=key, to=to, template="billing/demo_notice", context=context, language=language)

"""Who hears of a window, and the notice they get: a mail in their language with an iCalendar attachment.

Every notice goes through the outbox with a key of window, notice, SEQUENCE and recipient, so nobody gets the
same notice twice however often a job or a click repeats it.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

import icalendar
from flask import current_app
from sqlalchemy import select

from console import clock
from console.accounts.models import Customer, Pbx, Reseller
from console.auth.models import Login, Role
from console.berlin_time import describe
from console.extensions import db
from console.maintenance.models import MaintenanceWindow, NoticeOptIn, WindowState

NOTICE_KINDS = ("announcement", "reminder", "start", "extension", "completion", "reschedule", "cancellation")


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    name: str


def recipients(window: MaintenanceWindow) -> list[Recipient]:
    """Every affected reseller's notice contact (they cannot opt out, §7.5) and opted-in customer admins."""
    pbx_ids = [p.id for p in window.pbxs]
    customers = select(Pbx.customer_id).where(Pbx.id.in_(pbx_ids)) if pbx_ids else select(Customer.id)
    resellers = select(Reseller).order_by(Reseller.name)  # platform-wide: every reseller
    if pbx_ids:
        resellers = resellers.where(Reseller.id.in_(select(Customer.reseller_id).where(Customer.id.in_(customers))))
    resellers = db.session.scalars(resellers)
    admins = db.session.scalars(select(Login).join(NoticeOptIn, NoticeOptIn.login_id == Login.id).where(
        Login.role == Role.CUSTOMER_ADMIN, Login.active.is_(True), Login.customer_id.in_(customers)))
    seen: dict[str, Recipient] = {}
    for r in resellers:
        seen.setdefault(r.notice_email.lower(), Recipient(r.notice_email, r.language, r.name))
    for a in admins:
        seen.setdefault(a.email.lower(), Recipient(a.email, a.language, a.name))
    return list(seen.values())


def ics(window: MaintenanceWindow, language: str, cancel: bool = False) -> bytes:
    """RFC 5545/5546: PUBLISH with an ORGANIZER and no attendees; CANCEL with the same UID and STATUS:CANCELLED."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//stimme//Operations Console//DE")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", window.uid)
    event.add("sequence", window.sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", window.starts_at)
    event.add("dtend", window.ends_at)
    event.add("summary", window.title(language))
    event.add("description", window.description(language))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    name, address = parseaddr(current_app.extensions["settings"].mail_from)
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = icalendar.vText(name or "stimme")
    event.add("organizer", organizer)
    cal.add_component(event)
    return cal.to_ical()


def send(window: MaintenanceWindow, kind: str, previous: tuple | None = None) -> int:
    """Queue one notice of `kind` to every recipient (a reschedule names the `previous` start and end).
    Returns how many were queued."""
    from console.mail.outbox import Attachment, queue_mail

    if kind not in NOTICE_KINDS:   # a caller's mistake, not a user's: checked even under python -O
        raise ValueError(f"unknown notice kind {kind!r}; one of {', '.join(NOTICE_KINDS)}")
    cancel = kind == "cancellation"
    for person in recipients(window):
        lang = person.language if person.language in ("de", "en") else "de"
        calendar = Attachment(filename="wartung.ics" if lang == "de" else "maintenance.ics",
                              content_type="text/calendar", data=ics(window, lang, cancel),
                              params={"charset": "utf-8", "method": "CANCEL" if cancel else "PUBLISH"})
        queue_mail(key=f"maintenance:{window.uid}:{kind}:{window.sequence}:{person.email.lower()}",
                   to=person.email, template="maintenance/notice", language=lang, attachments=[calendar],
                   context=_context(window, kind, lang, person, previous), topic=topic(window),
                   revision=window.sequence)
    return len(recipients(window))


def topic(window: MaintenanceWindow) -> str:
    """The outbox topic of a window's notices: the mail worker sends one only while its SEQUENCE is current."""
    return f"maintenance:{window.uid}"


def current_sequence(topic: str) -> int | None:
    """The send-time check (console.mail.delivery.CURRENT_REVISION): the window's SEQUENCE now, read afresh.

    A notice queued before the window was rescheduled, extended or cancelled carries a lower SEQUENCE and is
    dropped; the notice of the change, queued with it, goes out instead."""
    uid = topic.partition(":")[2]
    return db.session.scalar(select(MaintenanceWindow.sequence).where(MaintenanceWindow.uid == uid))


def _context(window: MaintenanceWindow, kind: str, lang: str, person: Recipient, previous: tuple | None = None) -> dict:
    base = current_app.extensions["settings"].base_url.rstrip("/")
    return {
        "previous_starts": describe(previous[0], lang) if previous else None,
        "previous_ends": describe(previous[1], lang) if previous else None,
        "kind": kind, "window": window, "recipient": person, "title": window.title(lang),
        "description": window.description(lang), "starts": describe(window.starts_at, lang),
        "ends": describe(window.ends_at, lang), "emergency": window.kind.value == "emergency",
        "reason": window.reason.value if window.reason else None,
        "scope": [p.name for p in window.pbxs], "url": f"{base}/maintenance/{window.id}",
        "note": window.completion_note,
    }


def tell_staff_missed(window: MaintenanceWindow) -> None:
    """An announcement that could not go out in time: staff must decide (reschedule or cancel)."""
    from console.mail.outbox import queue_mail

    staff = db.session.scalars(select(Login).where(Login.active_staff()))
    for login in staff:
        queue_mail(key=f"maintenance:{window.uid}:missed:{window.sequence}:{login.email}", to=login.email,
                   template="maintenance/missed", language=login.language,
                   context=_context(window, "missed", login.language, Recipient(login.email, login.language,
                                                                                   login.name)))


# The header banner's query, built once (every page shows the banner); each request adds the login's tenancy.
BANNER = (select(MaintenanceWindow).where(MaintenanceWindow.state.in_([WindowState.ANNOUNCED, WindowState.RUNNING]))
          .order_by(MaintenanceWindow.starts_at).limit(3))


def banner_windows(login: Login) -> list[MaintenanceWindow]:
    """Announced or running windows that affect this login, soonest first (the header banner)."""
    from console.auth.scope import scoped

    return db.session.scalars(BANNER.where(scoped(MaintenanceWindow, login).whereclause)).all()

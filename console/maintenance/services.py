"""Scheduling rules (§7.2–§7.4) and the life of a window. Services flush; notices go through the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock, servicehours
from console.accounts.models import Pbx, Reseller
from console.auth.models import Login
from console.berlin_time import describe
from console.errors import RuleViolation
from console.extensions import db
from console.maintenance import notices
from console.maintenance.models import (EmergencyReason, FeedToken, MaintenanceWindow, NoticeOptIn, WindowKind,
                                        WindowState)

REGULAR_LEAD = timedelta(days=7)      # §7.3: at least one week (7 × 24 hours)
EMERGENCY_LEAD = timedelta(hours=1)   # §7.4: at least one hour
MAX_LENGTH = timedelta(days=4)  # long enough for a holiday weekend, short enough to catch typos
OPEN_STATES = (WindowState.PLANNED, WindowState.ANNOUNCED, WindowState.RUNNING)


def lead_time(kind: WindowKind) -> timedelta:
    return REGULAR_LEAD if kind is WindowKind.REGULAR else EMERGENCY_LEAD


STEP = timedelta(minutes=15)   # a start people would pick: on the quarter hour, not the minute a rule allows


def _round_up(instant: datetime) -> datetime:
    minutes = -(-(instant.timestamp() // 60) // 15) * 15   # ceiling to the quarter hour (UTC; Berlin's offsets are whole hours)
    rounded = datetime.fromtimestamp(minutes * 60, instant.tzinfo)
    return rounded if rounded >= instant else rounded + STEP


def earliest_start(kind: WindowKind, length: timedelta, queued_at: datetime) -> datetime:
    """The earliest start, on a quarter hour, that a window of this kind and length may have if its notice is
    queued at `queued_at`: for regular work the whole window lies outside business hours."""
    start = _round_up(queued_at + lead_time(kind))
    if kind is WindowKind.EMERGENCY:
        return start
    while (busy := servicehours.first_service_minute_in(start, start + length)) is not None:
        start = next(servicehours.service_intervals(busy, busy + timedelta(minutes=1)))[1]  # that day's 17:00
    return start


def check_times(kind: WindowKind, starts_at: datetime, ends_at: datetime, queued_at: datetime) -> None:
    """Refuse times that break §7.2–§7.4, naming the earliest start that would be allowed."""
    if ends_at <= starts_at:
        raise RuleViolation(ends_at=_l("The end must lie after the start."))
    if ends_at - starts_at > MAX_LENGTH:
        raise RuleViolation(ends_at=_l("A maintenance window lasts at most 4 days."))
    earliest = earliest_start(kind, ends_at - starts_at, queued_at)
    if kind is WindowKind.REGULAR and servicehours.overlaps_service_hours(starts_at, ends_at):
        busy = servicehours.first_service_minute_in(starts_at, ends_at)
        raise RuleViolation(starts_at=_l(
            "Regular maintenance must lie entirely outside business hours (Mon–Fri 08:00–17:00); this window "
            "touches %(busy)s. The earliest allowed start is %(earliest)s.",
            busy=describe(busy, _lang()), earliest=describe(earliest, _lang())))
    if starts_at < queued_at + lead_time(kind):
        message = (_l("Regular maintenance must be announced at least 7 days ahead. The earliest allowed start is "
                      "%(earliest)s.", earliest=describe(earliest, _lang())) if kind is WindowKind.REGULAR else
                   _l("Emergency maintenance must be announced at least one hour ahead. The earliest allowed start is "
                      "%(earliest)s.", earliest=describe(earliest, _lang())))
        raise RuleViolation(starts_at=message)


def _lang() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "de")


def schedule(*, actor_label: str, kind: WindowKind, reason: EmergencyReason | None, starts_at: datetime,
             ends_at: datetime, pbxs: list[Pbx], title_de: str, title_en: str, description_de: str = "",
             description_en: str = "", announce_at: datetime | None = None) -> MaintenanceWindow:
    """Plan a window. Announced at once unless `announce_at` lies in the future (then the scheduler does it)."""
    now = clock.now()
    if kind is WindowKind.EMERGENCY and reason is None:
        raise RuleViolation(reason=_l("Emergency maintenance needs its reason: a fault or a security risk (§7.4)."))
    if not title_de.strip():
        raise RuleViolation(title_de=_l("Give the window a German title."))
    announce_at = max(announce_at or now, now)
    check_times(kind, starts_at, ends_at, announce_at)
    window = MaintenanceWindow(kind=kind, reason=reason if kind is WindowKind.EMERGENCY else None,
                               starts_at=starts_at, ends_at=ends_at, announce_at=announce_at, pbxs=list(pbxs),
                               title_de=title_de.strip(), title_en=title_en.strip() or title_de.strip(),
                               description_de=description_de.strip(), description_en=description_en.strip(),
                               created_by=actor_label, state=WindowState.PLANNED, sequence=0)
    db.session.add(window)
    db.session.flush()
    if announce_at <= now:
        announce(window)
    return window


def announce(window: MaintenanceWindow) -> None:
    """Queue the announcement now — only if it is still in time; otherwise flag the window, never announce late."""
    now = clock.now()
    if window.starts_at - now < lead_time(window.kind):
        window.state = WindowState.MISSED
        notices.tell_staff_missed(window)
    else:
        window.state = WindowState.ANNOUNCED
        window.announced_at = now
        window.announced_ends_at = window.ends_at
        notices.send(window, "announcement")
    db.session.flush()


def reschedule(window: MaintenanceWindow, *, starts_at: datetime, ends_at: datetime) -> MaintenanceWindow:
    """A change of time: checked against the same rules as a new window, announced again with a higher SEQUENCE."""
    if window.state not in (WindowState.PLANNED, WindowState.ANNOUNCED, WindowState.MISSED):
        raise RuleViolation({"": _l("Only a window that has not started can be rescheduled; a running one can be "
                                    "extended.")})
    if (starts_at, ends_at) == (window.starts_at, window.ends_at):
        return window
    previous = (window.starts_at, window.ends_at)
    now = clock.now()
    queued_at = max(window.announce_at, now) if window.state is WindowState.PLANNED else now
    check_times(window.kind, starts_at, ends_at, queued_at)
    window.starts_at, window.ends_at = starts_at, ends_at
    window.sequence += 1
    if window.state is WindowState.ANNOUNCED:
        window.announced_ends_at = ends_at
        window.reminded_at = None
        notices.send(window, "reschedule", previous=previous)
    elif window.state is WindowState.MISSED:
        window.state, window.announce_at = WindowState.PLANNED, now
        announce(window)
    db.session.flush()
    return window


def update_texts(window: MaintenanceWindow, *, title_de: str, title_en: str, description_de: str,
                 description_en: str, pbxs: list[Pbx]) -> None:
    if window.state not in OPEN_STATES:
        raise RuleViolation({"": _l("A finished or cancelled window cannot be changed.")})
    window.title_de, window.title_en = title_de.strip(), title_en.strip() or title_de.strip()
    window.description_de, window.description_en = description_de.strip(), description_en.strip()
    if {p.id for p in pbxs} != {p.id for p in window.pbxs}:
        if window.state is not WindowState.PLANNED:
            raise RuleViolation(pbx_ids=_l("What a window affects cannot change after it was announced; cancel it "
                                           "and schedule a new one."))
        window.pbxs = list(pbxs)
    db.session.flush()


def cancel(window: MaintenanceWindow, note: str = "", *, reason_required: bool = False) -> None:
    """Cancel a window that has not started; the note (the reason) goes into the cancellation notice."""
    if window.state not in (WindowState.PLANNED, WindowState.ANNOUNCED, WindowState.MISSED):
        raise RuleViolation({"": _l("Only a window that has not started can be cancelled.")})
    if reason_required and not note.strip():
        raise RuleViolation(note=_l("Say why the window is cancelled: the reason goes to everyone notified."))
    was_announced = window.state is WindowState.ANNOUNCED
    window.state = WindowState.CANCELLED
    window.completion_note = note.strip() or None
    window.sequence += 1
    if was_announced:
        notices.send(window, "cancellation")
    db.session.flush()


def start(window: MaintenanceWindow) -> None:
    """Start now: at its time (by the scheduler) or early (by staff)."""
    if window.state is not WindowState.ANNOUNCED:
        raise RuleViolation({"": _l("Only an announced window can start.")})
    window.state = WindowState.RUNNING
    window.started_at = clock.now()
    notices.send(window, "start")
    db.session.flush()


def extend(window: MaintenanceWindow, ends_at: datetime) -> None:
    if window.state is not WindowState.RUNNING:
        raise RuleViolation({"": _l("Only a running window can be extended.")})
    if ends_at <= max(window.ends_at, clock.now()):
        raise RuleViolation(ends_at=_l("The new end must lie after the current end and after now."))
    window.ends_at = ends_at
    window.sequence += 1
    notices.send(window, "extension")
    db.session.flush()


def complete(window: MaintenanceWindow, note: str) -> None:
    if window.state is not WindowState.RUNNING:
        raise RuleViolation({"": _l("Only a running window can be completed.")})
    if not note.strip():
        raise RuleViolation(note=_l("Say what was done: the completion note goes to everyone notified."))
    window.state = WindowState.COMPLETED
    window.completed_at = clock.now()
    window.completion_note = note.strip()
    notices.send(window, "completion")
    db.session.flush()


def notices_wanted(login: Login) -> bool:
    return db.session.get(NoticeOptIn, login.id) is not None


def want_notices(login: Login, wanted: bool) -> None:
    """A customer admin opts in to (or out of) maintenance notices for their PBX."""
    row = db.session.get(NoticeOptIn, login.id)
    if wanted and row is None:
        db.session.add(NoticeOptIn(login_id=login.id))
    elif not wanted and row is not None:
        db.session.delete(row)
    db.session.flush()


def renew_feed_token(reseller: Reseller, current: FeedToken | None) -> FeedToken:
    """A new feed secret for the reseller: the old feed URLs stop working."""
    if current is not None:
        db.session.delete(current)
        db.session.flush()
    token = FeedToken(reseller_id=reseller.id)
    db.session.add(token)
    db.session.flush()
    return token


def announced_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime, set[int] | None]]:
    """The parts of windows that were announced in time and overlap [start, end): (start, end, PBX ids or None).

    An overrun past the announced end, or a start before the announced start, is not covered (§7.3, §7.6).
    """
    rows = db.session.scalars(select(MaintenanceWindow).where(
        MaintenanceWindow.announced_at.is_not(None),
        MaintenanceWindow.state.in_([WindowState.ANNOUNCED, WindowState.RUNNING, WindowState.COMPLETED]),
        MaintenanceWindow.starts_at < end, MaintenanceWindow.announced_ends_at > start))
    result = []
    for w in rows:
        until = min(w.announced_ends_at, w.completed_at) if w.completed_at else w.announced_ends_at
        if until > w.starts_at:
            result.append((max(w.starts_at, start), min(until, end), {p.id for p in w.pbxs} or None))
    return result

"""Monthly peak licence counts (§2: billed per package, the maximum provided at any time in the month)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import select

from console.accounts.models import LicenceEvent, LicenceEventKind as Ev, Package
from console.clock import BERLIN
from console.extensions import db


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, month, 1), time(0), BERLIN)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(nxt, time(0), BERLIN)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def monthly_peak(customer_id: int, year: int, month: int) -> dict[str, int]:
    """Peak number of users per package and of additional sites, replayed from the licence history."""
    start, end = _month_bounds(year, month)
    events = db.session.scalars(
        select(LicenceEvent).where(LicenceEvent.customer_id == customer_id, LicenceEvent.at < end)
        .order_by(LicenceEvent.at, LicenceEvent.id))
    users: dict[int, str] = {}
    extra_sites: set[int] = set()
    peak = {p.value: 0 for p in Package} | {"additional_sites": 0}

    def count_into_peak() -> None:
        for p in Package:
            peak[p.value] = max(peak[p.value], sum(1 for v in users.values() if v == p.value))
        peak["additional_sites"] = max(peak["additional_sites"], len(extra_sites))

    counted_start = False
    for ev in events:
        if ev.at >= start and not counted_start:
            count_into_peak()  # the state the month began with
            counted_start = True
        if ev.kind in (Ev.USER_ADDED, Ev.PACKAGE_CHANGED):
            users[ev.subject_id] = ev.new_value
        elif ev.kind is Ev.USER_REMOVED:
            users.pop(ev.subject_id, None)
        elif ev.kind is Ev.SITE_ADDED and ev.new_value == "additional":
            extra_sites.add(ev.subject_id)
        elif ev.kind is Ev.SITE_REMOVED:
            extra_sites.discard(ev.subject_id)
        if counted_start:
            count_into_peak()
    if not counted_start:
        count_into_peak()
    return peak

"""Availability (§7.6): 1 − unannounced outage time / time, per calendar year (Berlin), platform-wide or per PBX.

- Platform-wide availability counts outages of the whole platform; a customer's counts those plus the outages
  that name its PBX.
- Time inside an *announced* maintenance window is not outage time (§7.3): only the part that was announced in time,
  as console.maintenance.services.announced_windows() reports it.
- The budget is 0.2 % of the actual year: 17 h 31 min 12 s in a 365-day year, 17 h 34 min 04.8 s in a leap year.
- Overlapping outages are counted once (the union of their intervals).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import or_, select

from console import clock
from console.clock import BERLIN
from console.extensions import db
from console.incidents.models import Outage, outage_pbx
from console.maintenance import services as maintenance

TARGET = 0.998
Window = tuple[datetime, datetime, "list[int] | None"]   # (start, end, pbx ids or None for the whole platform)

_provider_override: Callable[[datetime, datetime], Iterable[Window]] | None = None


def set_windows_provider(provider: Callable[[datetime, datetime], Iterable[Window]] | None) -> None:
    """Use another source of announced windows (tests; None returns to the maintenance feature)."""
    global _provider_override
    _provider_override = provider


def announced_windows(start: datetime, end: datetime) -> list[Window]:
    """Announced maintenance windows overlapping [start, end)."""
    return list((_provider_override or maintenance.announced_windows)(start, end))


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _seconds(intervals: Iterable[tuple[datetime, datetime]]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals)


def _minus(intervals, holes) -> list[tuple[datetime, datetime]]:
    """Parts of disjoint sorted `intervals` not covered by disjoint sorted `holes`."""
    result = []
    for a, b in intervals:
        for p, q in holes:
            if q <= a or p >= b:
                continue
            if p > a:
                result.append((a, p))
            a = max(a, q)
        if a < b:
            result.append((a, b))
    return result


def outage_intervals(start: datetime, end: datetime, pbx_id: int | None = None,
                     now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """Unannounced outage time in [start, end) for the platform (pbx_id None) or one PBX, as disjoint intervals."""
    now = now or clock.now()
    scope = Outage.platform_wide.is_(True)
    if pbx_id is not None:
        scope = or_(scope, Outage.id.in_(select(outage_pbx.c.outage_id).where(outage_pbx.c.pbx_id == pbx_id)))
    outages = db.session.scalars(select(Outage).where(scope, Outage.start < end,
                                                      or_(Outage.end.is_(None), Outage.end > start))).all()
    down = _union((max(o.start, start), min(o.end or now, end)) for o in outages)
    windows = _union((max(a, start), min(b, end)) for a, b, pbxs in announced_windows(start, end)
                     if pbxs is None or (pbx_id is not None and pbx_id in pbxs))
    return _minus(down, windows)


@dataclass(frozen=True)
class Availability:
    start: datetime
    end: datetime
    outage_seconds: float

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def ratio(self) -> float:
        return 1.0 if self.seconds <= 0 else 1 - self.outage_seconds / self.seconds

    @property
    def percent(self) -> float:
        return self.ratio * 100

    @property
    def met(self) -> bool:
        return self.ratio >= TARGET


def availability(start: datetime, end: datetime, pbx_id: int | None = None,
                 now: datetime | None = None) -> Availability:
    return Availability(start, end, _seconds(outage_intervals(start, end, pbx_id, now)))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """A calendar year in Berlin, as UTC instants."""
    return (datetime(year, 1, 1, tzinfo=BERLIN).astimezone(timezone.utc),
            datetime(year + 1, 1, 1, tzinfo=BERLIN).astimezone(timezone.utc))


def budget_seconds(year: int) -> float:
    """0.2 % of the year: 63,072 s (17 h 31 min 12 s), or 63,244.8 s in a leap year."""
    start, end = year_bounds(year)
    return (end - start).total_seconds() * 2 / 1000   # exact, unlike (1 - 0.998) in floating point


@dataclass(frozen=True)
class YearReport:
    year: int
    so_far: Availability        # from 1 January to now (or the whole year once it is over)
    budget_seconds: float

    @property
    def budget_left_seconds(self) -> float:
        return self.budget_seconds - self.so_far.outage_seconds


def year_report(year: int, pbx_id: int | None = None, now: datetime | None = None) -> YearReport:
    now = now or clock.now()
    start, end = year_bounds(year)
    return YearReport(year, availability(start, min(end, max(start, now)), pbx_id, now), budget_seconds(year))


def last_months(count: int = 12, pbx_id: int | None = None, now: datetime | None = None) -> list[tuple[date, Availability]]:
    """Availability of each of the last `count` calendar months (Berlin), the current one so far."""
    now = now or clock.now()
    first = now.astimezone(BERLIN).date().replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    result = []
    for month in reversed(months):
        following = (month + timedelta(days=32)).replace(day=1)
        start = datetime.combine(month, datetime.min.time(), tzinfo=BERLIN).astimezone(timezone.utc)
        end = datetime.combine(following, datetime.min.time(), tzinfo=BERLIN).astimezone(timezone.utc)
        result.append((month, availability(start, min(end, now), pbx_id, now)))
    return result


def format_duration(seconds: float) -> str:
    """17 h 31 min 12 s (a negative budget is shown with a minus sign)."""
    sign = "−" if seconds < 0 else ""
    seconds = round(abs(seconds), 1)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{secs:04.1f}" if secs != int(secs) else f"{int(secs)}"
    return f"{sign}{int(hours)} h {int(minutes)} min {secs_text} s"

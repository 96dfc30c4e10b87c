"""The one business-hours calendar of the console (contract §7.7, §7.2).

Service hours are Monday–Friday 08:00–17:00 Europe/Berlin wall-clock time, except the
nationwide ("bundeseinheitliche") German public holidays. SLA clocks of fault reports and the
maintenance-window rules both ask this module, so they can never disagree.

Rules that shaped the code:
- Holidays come from ``holidays.Germany()`` *without* a subdivision: regional days (e.g.
  Reformationstag outside 2017) must not stretch an SLA. The Easter-based ones move every year,
  so nothing is hard-coded. 24 and 31 December are ordinary working days.
- Callers pass timezone-aware instants (any zone) and get UTC-aware instants back; naive
  datetimes are refused because their meaning is a guess.
- Opening and closing times are built per calendar date in Berlin and then converted, never by
  adding 24 h to an aware datetime, so DST changes cannot shift them by an hour.
- All intervals are half-open ``[start, end)``: 17:00 itself is outside service time, and a
  maintenance window ending exactly at 08:00 does not overlap.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

from console.clock import BERLIN  # defined once, re-exported

OPEN = time(8)
CLOSE = time(17)

Interval = tuple[datetime, datetime]

__all__ = [
    "BERLIN", "OPEN", "CLOSE", "Interval",
    "is_holiday", "holiday_name", "is_business_day", "is_service_time", "next_service_start",
    "add_service_minutes", "add_service_minutes_with_pauses", "service_minutes_between",
    "service_intervals", "overlaps_service_hours", "first_service_minute_in",
]


# The page's language → the holidays package's name for it (it has no plain "en").
_NAME_LANGUAGES = {"de": "de", "en": "en_US"}


@lru_cache(maxsize=None)
def _holidays_of(year: int, language: str = "de") -> dict[date, str]:
    """Nationwide German holidays of one year with their names in one language (built once per year)."""
    return dict(holidays.Germany(years=year, language=_NAME_LANGUAGES.get(language[:2], "de")))


def _check_date(d: date) -> date:
    """Refuse datetimes: their date would be the date in *their* zone, not the Berlin date."""
    if isinstance(d, datetime):
        raise TypeError("pass a Berlin calendar date, not a datetime")
    return d


def _utc(instant: datetime) -> datetime:
    """The instant in UTC; a naive datetime is refused because its zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {instant!r}")
    return instant.astimezone(timezone.utc)


def holiday_name(d: date, language: str = "de") -> str | None:
    """Name of the nationwide public holiday on ``d`` in ``language`` (German unless "en…"), or None on other
    days."""
    return _holidays_of(_check_date(d).year, language).get(d)


def is_holiday(d: date) -> bool:
    """Whether ``d`` is a nationwide German public holiday (regional ones do not count)."""
    return holiday_name(d) is not None


def is_business_day(d: date) -> bool:
    """Monday–Friday and not a nationwide public holiday."""
    return _check_date(d).weekday() < 5 and not is_holiday(d)


def _opening(d: date) -> Interval:
    """08:00–17:00 Berlin of date ``d`` in UTC (both times exist exactly once on DST days)."""
    return (
        datetime.combine(d, OPEN, tzinfo=BERLIN).astimezone(timezone.utc),
        datetime.combine(d, CLOSE, tzinfo=BERLIN).astimezone(timezone.utc),
    )


def _service_from(start: datetime) -> Iterator[Interval]:
    """Endless service intervals from ``start`` (UTC) on, the first one clipped to ``start``."""
    day = start.astimezone(BERLIN).date()
    while True:
        if is_business_day(day):
            opens, closes = _opening(day)
            if closes > start:
                yield max(opens, start), closes
        day += timedelta(days=1)  # a calendar step on dates, not on aware datetimes


def _pauses(paused: Iterable[Interval]) -> list[Interval]:
    """Non-empty pause intervals in UTC, sorted by start (they may overlap each other)."""
    return sorted((a, b) for a, b in ((_utc(p), _utc(q)) for p, q in paused) if a < b)


def _without(intervals: Iterable[Interval], paused: Iterable[Interval]) -> Iterator[Interval]:
    """The parts of ordered, disjoint ``intervals`` not covered by any paused interval.

    Overlapping pauses need no merging: each cut only moves ``a`` forward.
    """
    cuts = _pauses(paused)
    for a, b in intervals:
        for p, q in cuts:
            if p >= b:
                break
            if q <= a:
                continue
            if p > a:
                yield a, p
            a = max(a, q)
            if a >= b:
                break
        if a < b:
            yield a, b


def is_service_time(instant: datetime) -> bool:
    """Whether ``instant`` lies in service hours (08:00 inclusive to 17:00 exclusive, Berlin)."""
    local = _utc(instant).astimezone(BERLIN)
    return is_business_day(local.date()) and OPEN <= local.time() < CLOSE


def next_service_start(instant: datetime) -> datetime:
    """``instant`` itself if in service hours, else the next opening (UTC).

    A report filed after hours starts its SLA clock here, not at zero.
    """
    return next(_service_from(_utc(instant)))[0]


def add_service_minutes_with_pauses(
    start: datetime, minutes: int, paused: Iterable[Interval] = ()
) -> datetime:
    """The instant (UTC) at which ``minutes`` of unpaused service time have elapsed from ``start``.

    This is an SLA deadline: the clock only runs during service hours and stops while the
    ticket waits for the reseller (``paused``). Exact to the second of ``start``. With 0 minutes
    the deadline is the first unpaused service instant, never ``start`` itself after hours.
    A deadline that is reached exactly at closing time is 17:00 of that day.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = timedelta(minutes=minutes)
    for a, b in _without(_service_from(_utc(start)), paused):
        if a + remaining <= b:
            return a + remaining
        remaining -= b - a
    raise AssertionError("unreachable: service time never ends")


def add_service_minutes(start: datetime, minutes: int) -> datetime:
    """The instant (UTC) at which ``minutes`` of service time have elapsed from ``start``.

    Friday 16:59 + 60 minutes is Monday 08:59 (Tuesday after Easter Monday, and so on).
    """
    return add_service_minutes_with_pauses(start, minutes, ())


def service_intervals(start: datetime, end: datetime) -> Iterator[Interval]:
    """The service-time intervals (UTC, half-open) overlapping ``[start, end)``, clipped to it."""
    end = _utc(end)
    for a, b in _service_from(_utc(start)):
        if a >= end:
            return
        yield a, min(b, end)


def service_minutes_between(
    start: datetime, end: datetime, paused: Iterable[Interval] = ()
) -> float:
    """Minutes of service time in ``[start, end)`` not covered by ``paused`` (0 if end <= start).

    The elapsed part of an SLA clock. Steps day by day, so a whole year is cheap.
    """
    seconds = sum(
        (b - a).total_seconds() for a, b in _without(service_intervals(start, end), paused)
    )
    return seconds / 60


def first_service_minute_in(start: datetime, end: datetime) -> datetime | None:
    """The first service instant (UTC) inside ``[start, end)``, or None if there is none.

    Used to tell a reseller why a regular maintenance window is refused (§7.2).
    """
    return next((a for a, _ in service_intervals(start, end)), None)


def overlaps_service_hours(start: datetime, end: datetime) -> bool:
    """Whether ``[start, end)`` touches service hours; a window ending at 08:00 does not."""
    return first_service_minute_in(start, end) is not None

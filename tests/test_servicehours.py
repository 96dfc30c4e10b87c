"""Service hours (§7.7): SLA deadlines and maintenance overlap, exact to the minute.

Expected values are concrete Berlin wall-clock times worked out by hand from the 2026/2027
calendars, so a wrong holiday set, an off-by-one at 17:00 or a DST slip makes a test fail.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.easter import easter

from console import servicehours as sh
from console.servicehours import (
    BERLIN,
    add_service_minutes,
    add_service_minutes_with_pauses,
    first_service_minute_in,
    holiday_name,
    is_business_day,
    is_holiday,
    is_service_time,
    next_service_start,
    overlaps_service_hours,
    service_intervals,
    service_minutes_between,
)

UTC = timezone.utc


def b(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware Berlin wall-clock instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=BERLIN)


def assert_berlin(result: datetime, expected: datetime) -> None:
    """Result must be UTC-aware and equal to the expected Berlin wall-clock time."""
    assert result.utcoffset() == timedelta(0), f"not UTC: {result!r}"
    assert result.astimezone(BERLIN).replace(tzinfo=None) == expected.replace(tzinfo=None), (
        f"{result.astimezone(BERLIN):%a %Y-%m-%d %H:%M:%S %Z} != {expected:%a %Y-%m-%d %H:%M:%S}"
    )


# --- constants and the calendar -------------------------------------------------------------

def test_constants() -> None:
    assert sh.BERLIN == ZoneInfo("Europe/Berlin")
    assert sh.OPEN.hour == 8 and sh.OPEN.minute == 0
    assert sh.CLOSE.hour == 17 and sh.CLOSE.minute == 0


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2026, 1, 1), "Neujahr"),
        (date(2026, 4, 3), "Karfreitag"),
        (date(2026, 4, 6), "Ostermontag"),
        (date(2026, 5, 1), "Erster Mai"),
        (date(2027, 5, 1), "Erster Mai"),
        (date(2026, 5, 14), "Christi Himmelfahrt"),
        (date(2027, 5, 6), "Christi Himmelfahrt"),
        (date(2026, 5, 25), "Pfingstmontag"),
        (date(2027, 5, 17), "Pfingstmontag"),
        (date(2026, 10, 3), "Tag der Deutschen Einheit"),
        (date(2027, 10, 3), "Tag der Deutschen Einheit"),
        (date(2026, 12, 25), "Erster Weihnachtstag"),
        (date(2026, 12, 26), "Zweiter Weihnachtstag"),
        (date(2017, 10, 31), "Reformationstag"),
    ],
)
def test_nationwide_holidays(day: date, name: str) -> None:
    assert is_holiday(day)
    assert holiday_name(day) == name
    assert not is_business_day(day)


@pytest.mark.parametrize("year", [2026, 2027])
def test_easter_based_holidays_follow_easter(year: int) -> None:
    """Ascension and Whit Monday move with Easter; the package must give them every year."""
    sunday = easter(year)
    assert holiday_name(sunday - timedelta(days=2)) == "Karfreitag"
    assert holiday_name(sunday + timedelta(days=1)) == "Ostermontag"
    assert holiday_name(sunday + timedelta(days=39)) == "Christi Himmelfahrt"
    assert holiday_name(sunday + timedelta(days=50)) == "Pfingstmontag"


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 24),  # Heiligabend, Thursday
        date(2026, 12, 31),  # Silvester, Thursday
        date(2025, 10, 31),  # Reformationstag is regional only (Friday)
        date(2026, 1, 6),  # Heilige Drei Könige: regional only (Tuesday)
        date(2026, 6, 4),  # Fronleichnam: regional only (Thursday)
        date(2026, 11, 18),  # Buß- und Bettag: Saxony only (Wednesday)
        date(2026, 5, 15),  # Brückentag after Ascension is a working day
    ],
)
def test_working_days_that_look_like_holidays(day: date) -> None:
    assert not is_holiday(day)
    assert holiday_name(day) is None
    assert is_business_day(day)


def test_reformationstag_only_2017() -> None:
    assert not is_holiday(date(2026, 10, 31))
    assert holiday_name(date(2026, 10, 31)) is None
    assert is_holiday(date(2017, 10, 31))
    assert not is_holiday(date(2018, 10, 31))


def test_weekend_is_not_a_business_day() -> None:
    assert not is_business_day(date(2026, 6, 13))  # Saturday
    assert not is_business_day(date(2026, 6, 14))  # Sunday
    assert is_business_day(date(2026, 6, 15))  # Monday


def test_datetime_is_not_a_date() -> None:
    """A UTC datetime's date can be the wrong Berlin day; the calendar refuses the ambiguity."""
    with pytest.raises(TypeError):
        is_holiday(datetime(2026, 12, 24, 23, 30, tzinfo=UTC))


# --- is_service_time / next_service_start ----------------------------------------------------

@pytest.mark.parametrize(
    "instant, expected",
    [
        (b(2026, 6, 15, 8, 0), True),
        (b(2026, 6, 15, 7, 59, 59), False),
        (b(2026, 6, 15, 16, 59, 59), True),
        (b(2026, 6, 15, 17, 0), False),
        (b(2026, 6, 13, 10, 0), False),  # Saturday
        (b(2026, 4, 3, 10, 0), False),  # Karfreitag
        (b(2026, 12, 24, 10, 0), True),
        (b(2026, 12, 25, 10, 0), False),
        (datetime(2026, 6, 15, 6, 0, tzinfo=UTC), True),  # 08:00 CEST
        (datetime(2026, 1, 5, 7, 30, tzinfo=UTC), True),  # 08:30 CET
        (datetime(2026, 6, 15, 15, 0, tzinfo=UTC), False),  # 17:00 CEST
    ],
)
def test_is_service_time(instant: datetime, expected: bool) -> None:
    assert is_service_time(instant) is expected


def test_next_service_start_within_hours_is_the_instant_itself() -> None:
    instant = b(2026, 6, 15, 10, 17, 23)
    result = next_service_start(instant)
    assert result == instant
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "instant, expected",
    [
        (b(2026, 6, 12, 17, 30), b(2026, 6, 15, 8, 0)),  # Friday evening -> Monday
        (b(2026, 6, 12, 17, 0), b(2026, 6, 15, 8, 0)),  # closing time is outside
        (b(2026, 6, 13, 11, 0), b(2026, 6, 15, 8, 0)),  # Saturday
        (b(2026, 6, 15, 3, 0), b(2026, 6, 15, 8, 0)),  # early Monday
        (b(2026, 4, 2, 17, 30), b(2026, 4, 7, 8, 0)),  # Easter: Tuesday after Easter Monday
        (b(2026, 12, 24, 18, 0), b(2026, 12, 28, 8, 0)),
        (b(2026, 12, 31, 17, 0), b(2027, 1, 4, 8, 0)),  # Neujahr is a Friday
        (b(2026, 3, 27, 20, 0), b(2026, 3, 30, 8, 0)),  # over the spring DST change
        (b(2026, 10, 23, 20, 0), b(2026, 10, 26, 8, 0)),  # over the autumn DST change
    ],
)
def test_next_service_start(instant: datetime, expected: datetime) -> None:
    assert_berlin(next_service_start(instant), expected)


# --- SLA deadlines ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        # Friday 16:59 report
        (b(2026, 6, 12, 16, 59), 60, b(2026, 6, 15, 8, 59)),
        (b(2026, 6, 12, 16, 59), 480, b(2026, 6, 15, 15, 59)),
        (b(2026, 6, 12, 16, 59), 1, b(2026, 6, 12, 17, 0)),
        (b(2026, 6, 12, 16, 59), 2, b(2026, 6, 15, 8, 1)),
        (b(2026, 6, 12, 16, 59), 541, b(2026, 6, 15, 17, 0)),
        (b(2026, 6, 12, 16, 59), 542, b(2026, 6, 16, 8, 1)),
        (b(2026, 6, 12, 16, 59, 30), 60, b(2026, 6, 15, 8, 59, 30)),
        # Saturday / Sunday
        (b(2026, 6, 13, 10, 0), 60, b(2026, 6, 15, 9, 0)),
        (b(2026, 6, 14, 23, 59), 480, b(2026, 6, 15, 16, 0)),
        # 48 service hours from Monday morning: five full days plus three hours
        (b(2026, 6, 15, 8, 0), 48 * 60, b(2026, 6, 22, 11, 0)),
        # Karfreitag 3 April 2026 and Ostermontag 6 April
        (b(2026, 4, 3, 10, 0), 60, b(2026, 4, 7, 9, 0)),
        (b(2026, 4, 2, 16, 30), 60, b(2026, 4, 7, 8, 30)),
        (b(2026, 4, 2, 16, 30), 480, b(2026, 4, 7, 15, 30)),
        # Christmas: 24th works, 25th/26th do not
        (b(2026, 12, 24, 10, 0), 60, b(2026, 12, 24, 11, 0)),
        (b(2026, 12, 24, 16, 30), 60, b(2026, 12, 28, 8, 30)),
        (b(2026, 12, 25, 10, 0), 60, b(2026, 12, 28, 9, 0)),
        (b(2026, 12, 26, 10, 0), 480, b(2026, 12, 28, 16, 0)),
        (b(2026, 12, 31, 16, 0), 120, b(2027, 1, 4, 9, 0)),
        # Christi Himmelfahrt 14 May 2026; the Friday after is a working day
        (b(2026, 5, 13, 16, 30), 60, b(2026, 5, 15, 8, 30)),
        # DST: Friday-evening report, 8-hour target lands after the change
        (b(2026, 3, 27, 18, 0), 480, b(2026, 3, 30, 16, 0)),
        (b(2026, 10, 23, 18, 0), 480, b(2026, 10, 26, 16, 0)),
        (b(2026, 3, 27, 16, 0), 480, b(2026, 3, 30, 15, 0)),
        (b(2026, 10, 23, 16, 0), 480, b(2026, 10, 26, 15, 0)),
    ],
)
def test_add_service_minutes(start: datetime, minutes: int, expected: datetime) -> None:
    assert_berlin(add_service_minutes(start, minutes), expected)


def test_dst_deadlines_in_utc() -> None:
    """The same wall-clock deadline is a different UTC hour before and after the change."""
    assert add_service_minutes(b(2026, 3, 27, 18, 0), 480) == datetime(2026, 3, 30, 14, 0, tzinfo=UTC)
    assert add_service_minutes(b(2026, 10, 23, 18, 0), 480) == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)


def test_zero_minutes_after_hours_is_next_opening_not_now() -> None:
    start = b(2026, 6, 12, 17, 30)
    assert add_service_minutes(start, 0) == next_service_start(start)
    assert_berlin(add_service_minutes(start, 0), b(2026, 6, 15, 8, 0))
    inside = b(2026, 6, 15, 9, 15)
    assert add_service_minutes(inside, 0) == inside


def test_any_input_zone_gives_the_same_utc_result() -> None:
    start = b(2026, 6, 12, 16, 59)
    in_new_york = start.astimezone(ZoneInfo("America/New_York"))
    in_utc = start.astimezone(UTC)
    assert add_service_minutes(in_new_york, 60) == add_service_minutes(in_utc, 60)
    assert add_service_minutes(in_new_york, 60).tzinfo is not None
    assert_berlin(add_service_minutes(in_new_york, 60), b(2026, 6, 15, 8, 59))


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_service_minutes(b(2026, 6, 15, 9, 0), -1)


# --- elapsed service time, pauses ------------------------------------------------------------

@pytest.mark.parametrize(
    "start, end, expected",
    [
        (b(2026, 6, 15, 9, 0), b(2026, 6, 15, 10, 30), 90),
        (b(2026, 6, 12, 16, 59), b(2026, 6, 15, 8, 59), 60),
        (b(2026, 6, 12, 17, 0), b(2026, 6, 15, 8, 0), 0),
        (b(2026, 6, 15, 10, 0), b(2026, 6, 15, 9, 0), 0),  # end before start
        (b(2026, 4, 2, 16, 0), b(2026, 4, 7, 9, 0), 120),  # Easter
        (b(2026, 12, 24, 0, 0), b(2026, 12, 28, 0, 0), 540),  # only the 24th counts
        # DST weekends count exactly like any other weekend
        (b(2026, 3, 27, 12, 0), b(2026, 3, 30, 12, 0), 540),
        (b(2026, 10, 23, 12, 0), b(2026, 10, 26, 12, 0), 540),
        (b(2026, 3, 27, 17, 0), b(2026, 3, 30, 8, 0), 0),
        (b(2026, 10, 23, 17, 0), b(2026, 10, 26, 8, 0), 0),
        (b(2026, 6, 15, 8, 0, 30), b(2026, 6, 15, 8, 1), 0.5),
    ],
)
def test_service_minutes_between(start: datetime, end: datetime, expected: float) -> None:
    assert service_minutes_between(start, end) == expected


def test_whole_year_2026() -> None:
    """254 business days in 2026: 261 weekdays minus 7 nationwide holidays on weekdays."""
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    business_days = sum(1 for d in days if is_business_day(d))
    assert business_days == 254
    assert service_minutes_between(b(2026, 1, 1), b(2027, 1, 1)) == 254 * 540 == 137_160
    assert len(list(service_intervals(b(2026, 1, 1), b(2027, 1, 1)))) == 254


def test_paused_interval_inside_service_hours() -> None:
    start = b(2026, 6, 15, 9, 0)
    paused = [(b(2026, 6, 15, 10, 0), b(2026, 6, 15, 11, 0))]
    assert service_minutes_between(start, b(2026, 6, 15, 12, 0), paused) == 120
    # 60 before the pause, 360 after it on Monday, the last 60 on Tuesday
    assert_berlin(add_service_minutes_with_pauses(start, 480, paused), b(2026, 6, 16, 9, 0))


def test_pause_over_the_weekend_waiting_for_reseller() -> None:
    start = b(2026, 6, 12, 15, 0)
    paused = [(b(2026, 6, 12, 16, 0), b(2026, 6, 15, 10, 0))]
    assert_berlin(add_service_minutes_with_pauses(start, 120, paused), b(2026, 6, 15, 11, 0))
    assert service_minutes_between(start, b(2026, 6, 15, 11, 0), paused) == 120


def test_overlapping_and_out_of_hours_pauses() -> None:
    start, end = b(2026, 6, 15, 9, 0), b(2026, 6, 15, 12, 0)
    overlapping = [(b(2026, 6, 15, 10, 30), b(2026, 6, 15, 11, 30)), (b(2026, 6, 15, 10, 0), b(2026, 6, 15, 11, 0))]
    assert service_minutes_between(start, end, overlapping) == 90
    night = [(b(2026, 6, 15, 18, 0), b(2026, 6, 16, 7, 0))]
    assert service_minutes_between(start, b(2026, 6, 16, 9, 0), night) == 540
    before_start = [(b(2026, 6, 15, 7, 0), b(2026, 6, 15, 9, 30))]
    assert service_minutes_between(start, end, before_start) == 150


def test_pause_at_start_shifts_zero_minute_deadline() -> None:
    start = b(2026, 6, 15, 9, 0)
    paused = [(b(2026, 6, 15, 8, 0), b(2026, 6, 15, 10, 0))]
    assert_berlin(add_service_minutes_with_pauses(start, 0, paused), b(2026, 6, 15, 10, 0))


def test_pauses_round_trip_with_elapsed_time() -> None:
    start = b(2026, 3, 26, 14, 0)
    paused = [(b(2026, 3, 27, 9, 0), b(2026, 3, 30, 9, 30)), (b(2026, 3, 30, 15, 0), b(2026, 3, 30, 15, 45))]
    deadline = add_service_minutes_with_pauses(start, 960, paused)
    # Thu 14-17 = 180, Fri 08-09 = 60, Mon 09:30-15:00 = 330, 15:45-17:00 = 75, Tue 315 -> 13:15
    assert_berlin(deadline, b(2026, 3, 31, 13, 15))
    assert service_minutes_between(start, deadline, paused) == 960


def test_service_intervals_are_utc_and_clipped() -> None:
    got = list(service_intervals(b(2026, 3, 27, 12, 0), b(2026, 3, 30, 12, 0)))
    assert got == [
        (datetime(2026, 3, 27, 11, 0, tzinfo=UTC), datetime(2026, 3, 27, 16, 0, tzinfo=UTC)),
        (datetime(2026, 3, 30, 6, 0, tzinfo=UTC), datetime(2026, 3, 30, 10, 0, tzinfo=UTC)),
    ]
    assert all(a.utcoffset() == timedelta(0) == z.utcoffset() for a, z in got)


# --- maintenance windows (§7.2) ---------------------------------------------------------------

@pytest.mark.parametrize(
    "start, end, first",
    [
        (b(2026, 6, 15, 6, 0), b(2026, 6, 15, 8, 0), None),  # ends exactly at opening
        (b(2026, 6, 15, 6, 0), b(2026, 6, 15, 8, 1), b(2026, 6, 15, 8, 0)),
        (b(2026, 6, 15, 16, 59), b(2026, 6, 15, 18, 0), b(2026, 6, 15, 16, 59)),  # touches 16:59
        (b(2026, 6, 15, 17, 0), b(2026, 6, 15, 23, 0), None),
        (b(2026, 6, 12, 18, 0), b(2026, 6, 15, 7, 0), None),  # weekend
        (b(2026, 6, 14, 22, 0), b(2026, 6, 15, 8, 30), b(2026, 6, 15, 8, 0)),
        (b(2026, 4, 3, 8, 0), b(2026, 4, 6, 17, 0), None),  # Karfreitag to Ostermontag
        (b(2026, 12, 24, 10, 0), b(2026, 12, 24, 11, 0), b(2026, 12, 24, 10, 0)),
        (b(2026, 10, 24, 22, 0), b(2026, 10, 26, 8, 0), None),  # autumn DST weekend
    ],
)
def test_maintenance_window_overlap(start: datetime, end: datetime, first: datetime | None) -> None:
    result = first_service_minute_in(start, end)
    assert overlaps_service_hours(start, end) is (first is not None)
    if first is None:
        assert result is None
    else:
        assert result is not None
        assert_berlin(result, first)


# --- naive datetimes -------------------------------------------------------------------------

NAIVE = datetime(2026, 6, 15, 9, 0)
AWARE = b(2026, 6, 15, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_service_time(NAIVE),
        lambda: next_service_start(NAIVE),
        lambda: add_service_minutes(NAIVE, 60),
        lambda: add_service_minutes_with_pauses(NAIVE, 60, []),
        lambda: add_service_minutes_with_pauses(AWARE, 60, [(NAIVE, AWARE + timedelta(hours=1))]),
        lambda: service_minutes_between(NAIVE, AWARE),
        lambda: service_minutes_between(AWARE, NAIVE),
        lambda: service_minutes_between(AWARE, AWARE + timedelta(hours=2), [(NAIVE, AWARE)]),
        lambda: list(service_intervals(NAIVE, AWARE)),
        lambda: list(service_intervals(AWARE, NAIVE)),
        lambda: overlaps_service_hours(NAIVE, AWARE),
        lambda: first_service_minute_in(AWARE, NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call) -> None:
    with pytest.raises(ValueError):
        call()

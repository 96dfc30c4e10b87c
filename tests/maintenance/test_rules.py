"""§7.2–§7.4 with a controlled clock: when a window may lie, and how early it must be announced."""
from datetime import timedelta

import pytest

from console.errors import RuleViolation
from console.maintenance import services
from console.maintenance.models import EmergencyReason, WindowKind, WindowState
from tests.conftest import berlin

NOW = berlin(2026, 11, 30, 10, 0)  # a Monday morning


def schedule(kind=WindowKind.REGULAR, start=None, end=None, **kw):
    return services.schedule(actor_label="staff@stimme.example", kind=kind,
                             reason=kw.pop("reason", EmergencyReason.FAULT if kind is WindowKind.EMERGENCY else None),
                             starts_at=start, ends_at=end, pbxs=kw.pop("pbxs", []), title_de="Update",
                             title_en="Update", **kw)


def refused(**kw) -> str:
    with pytest.raises(RuleViolation) as info:
        schedule(**kw)
    return " ".join(str(m) for m in info.value.errors.values())


@pytest.fixture(autouse=True)
def now(freeze):
    freeze(NOW)


def test_weekday_evening_is_fine():
    window = schedule(start=berlin(2026, 12, 8, 20), end=berlin(2026, 12, 8, 23))
    assert window.state is WindowState.ANNOUNCED


def announced_as_asked(start, end) -> None:
    """The window is accepted, announced, and lies exactly where it was asked for."""
    window = schedule(start=start, end=end)
    assert window.state is WindowState.ANNOUNCED
    assert (window.starts_at, window.ends_at) == (start, end)


def test_over_a_weekend_is_fine():
    announced_as_asked(berlin(2026, 12, 11, 18), berlin(2026, 12, 14, 7, 30))


def test_on_a_holiday_during_the_day_is_fine():
    # 25 December 2026 is a Friday and a nationwide holiday
    announced_as_asked(berlin(2026, 12, 25, 9), berlin(2026, 12, 25, 16))


def test_on_a_regional_holiday_during_the_day_is_refused():
    # 6 January (Heilige Drei Könige) is a holiday only in some states
    assert "business hours" in refused(start=berlin(2027, 1, 6, 9), end=berlin(2027, 1, 6, 11))


def test_touching_16_59_on_a_weekday_is_refused_and_names_the_earliest_start():
    message = refused(start=berlin(2026, 12, 8, 16, 59), end=berlin(2026, 12, 8, 18))
    assert "Tuesday, 8 December 2026, 16:59" in message
    assert "earliest allowed start is Monday, 7 December 2026, 17:00 CET" in message


def test_ending_exactly_at_eight_is_fine():
    announced_as_asked(berlin(2026, 12, 9, 5), berlin(2026, 12, 9, 8))
    # a minute later touches business hours
    assert "business hours" in refused(start=berlin(2026, 12, 10, 5), end=berlin(2026, 12, 10, 8, 1))


def test_announcement_seven_days_minus_one_minute_ahead_is_refused(freeze):
    freeze(berlin(2026, 11, 30, 6, 0))
    message = refused(start=berlin(2026, 12, 7, 5, 59), end=berlin(2026, 12, 7, 7, 0))
    assert "at least 7 days ahead" in message
    assert "earliest allowed start is Monday, 7 December 2026, 06:00 CET" in message
    assert schedule(start=berlin(2026, 12, 7, 6, 0), end=berlin(2026, 12, 7, 7, 0)).state is WindowState.ANNOUNCED


def test_emergency_59_minutes_ahead_is_refused_60_is_fine():
    message = refused(kind=WindowKind.EMERGENCY, start=NOW + timedelta(minutes=59), end=NOW + timedelta(hours=2))
    assert "at least one hour ahead" in message and "Monday, 30 November 2026, 11:00 CET" in message
    window = schedule(kind=WindowKind.EMERGENCY, start=NOW + timedelta(minutes=60), end=NOW + timedelta(hours=2))
    assert window.state is WindowState.ANNOUNCED  # in business hours: allowed for emergencies (§7.4)


def test_emergency_needs_a_reason():
    assert "fault or a security risk" in refused(kind=WindowKind.EMERGENCY, reason=None,
                                                 start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=3))


def test_end_before_start_is_refused():
    assert "after the start" in refused(start=berlin(2026, 12, 8, 22), end=berlin(2026, 12, 8, 21))


def test_earliest_start_skips_business_hours_for_long_windows():
    # queued Friday 12:00: a week later is Friday 12:00 (business hours) → 17:00 that Friday
    assert services.earliest_start(WindowKind.REGULAR, timedelta(hours=2), berlin(2026, 12, 4, 12)) == \
        berlin(2026, 12, 11, 17)
    # Friday 17:00 + 20 hours ends on Saturday: fine
    assert services.earliest_start(WindowKind.REGULAR, timedelta(hours=20), berlin(2026, 12, 4, 12)) == \
        berlin(2026, 12, 11, 17)
    # a 16-hour window never fits into a weekday night (17:00–08:00 is 15 hours): the Friday evening it is
    assert services.earliest_start(WindowKind.REGULAR, timedelta(hours=16), berlin(2026, 12, 1, 12)) == \
        berlin(2026, 12, 11, 17)


def test_typed_times_in_the_dst_gap_or_doubled_hour_are_refused():
    from datetime import datetime

    from console.berlin_time import parse_local
    with pytest.raises(RuleViolation, match="does not exist"):
        parse_local(datetime(2027, 3, 28, 2, 30), "starts_at")
    with pytest.raises(RuleViolation, match="happens twice"):
        parse_local(datetime(2026, 10, 25, 2, 30), "starts_at")

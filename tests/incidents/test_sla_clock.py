"""SLA deadlines in service hours (Mon–Fri 08:00–17:00 Berlin, nationwide holidays off), right to the minute.

Targets used (DEFAULTS): P1 response 30 min, resolution 240 min; P2 resolution 540; P3 resolution 1620.
"""
from console.incidents.models import Priority, State
from console.incidents.sla import DEFAULTS, Change, Targets, compute
from tests.conftest import berlin, utc

P1, P2, P3 = DEFAULTS[Priority.P1], DEFAULTS[Priority.P2], DEFAULTS[Priority.P3]


def _due(opened, targets, name, *, state=State.NEW, changes=(), replies=(), now=None):
    status = compute(opened, state, list(changes), list(replies), targets, now or opened)
    return next(c for c in status.clocks if c.name == name and c.met_at is None).due


def test_friday_1659_runs_one_minute_then_continues_monday():
    opened = berlin(2026, 11, 27, 16, 59)   # a Friday
    assert _due(opened, P1, "response") == berlin(2026, 11, 30, 8, 29)
    assert _due(opened, P1, "resolution") == berlin(2026, 11, 30, 11, 59)


def test_saturday_report_starts_monday_0800_not_at_zero():
    opened = berlin(2026, 11, 28, 10, 0)
    assert _due(opened, P1, "response") == berlin(2026, 11, 30, 8, 30)
    assert _due(opened, Targets(0, 0, 0), "response") == berlin(2026, 11, 30, 8, 0)


def test_good_friday_and_easter_monday_do_not_count():
    opened = berlin(2026, 4, 2, 16, 50)     # Thursday before Easter 2026
    assert _due(opened, P1, "response") == berlin(2026, 4, 7, 8, 20)   # 10 min Thursday, Tuesday 08:20
    assert _due(berlin(2026, 4, 3, 11, 0), P1, "response") == berlin(2026, 4, 7, 8, 30)


def test_24_december_is_a_working_day_25_december_is_not():
    assert _due(berlin(2026, 12, 24, 16, 45), P1, "response") == berlin(2026, 12, 28, 8, 15)
    assert _due(berlin(2026, 12, 24, 9, 0), P1, "response") == berlin(2026, 12, 24, 9, 30)
    assert _due(berlin(2026, 12, 25, 10, 0), P1, "response") == berlin(2026, 12, 28, 8, 30)


def test_across_the_spring_dst_change():
    opened = berlin(2026, 3, 27, 16, 0)     # Friday, CET; clocks go forward on Sunday 29 March
    due = _due(opened, P3, "resolution")    # 60 + 540 + 540 + 480 minutes
    assert due == berlin(2026, 4, 1, 16, 0) and due == utc(2026, 4, 1, 14, 0)


def test_across_the_autumn_dst_change():
    opened = berlin(2026, 10, 23, 16, 0)    # Friday, CEST; clocks go back on Sunday 25 October
    due = _due(opened, P3, "resolution")
    assert due == berlin(2026, 10, 28, 16, 0) and due == utc(2026, 10, 28, 15, 0)


def test_waiting_for_the_reseller_pauses_the_clock():
    opened = berlin(2026, 11, 30, 9, 0)     # Monday
    changes = [Change(berlin(2026, 11, 30, 10, 0), State.WAITING),
               Change(berlin(2026, 11, 30, 11, 30), State.IN_PROGRESS)]
    assert _due(opened, P1, "resolution") == berlin(2026, 11, 30, 13, 0)
    assert _due(opened, P1, "resolution", state=State.IN_PROGRESS, changes=changes,
                now=berlin(2026, 11, 30, 12, 0)) == berlin(2026, 11, 30, 14, 30)


def test_a_pause_over_night_only_removes_service_time():
    opened = berlin(2026, 11, 30, 9, 0)
    changes = [Change(berlin(2026, 11, 30, 16, 0), State.WAITING),
               Change(berlin(2026, 12, 1, 9, 0), State.IN_PROGRESS)]
    assert _due(opened, P2, "resolution") == berlin(2026, 12, 1, 9, 0)
    assert _due(opened, P2, "resolution", state=State.IN_PROGRESS, changes=changes,
                now=berlin(2026, 12, 1, 9, 0)) == berlin(2026, 12, 1, 11, 0)


def test_an_ongoing_pause_stops_the_clock_and_shows_no_next_deadline():
    opened = berlin(2026, 11, 30, 9, 0)
    changes = [Change(berlin(2026, 11, 30, 10, 0), State.WAITING)]
    status = compute(opened, State.WAITING, changes, [berlin(2026, 11, 30, 9, 10)], P1, berlin(2026, 11, 30, 15, 0))
    assert status.paused and status.next_due() is None
    assert not status.breached(berlin(2026, 11, 30, 15, 0))   # 13:00 would have been the deadline unpaused
    resolution = next(c for c in status.clocks if c.name == "resolution")
    # were it resumed now (15:00): 60 minutes were used before the pause, 180 remain → Tuesday 09:00
    assert resolution.due == berlin(2026, 12, 1, 9, 0)


def test_response_met_by_a_reply_and_breach_when_late():
    opened = berlin(2026, 11, 30, 9, 0)
    on_time = compute(opened, State.IN_PROGRESS, [], [berlin(2026, 11, 30, 9, 20)], P1, berlin(2026, 11, 30, 9, 30))
    late = compute(opened, State.IN_PROGRESS, [], [berlin(2026, 11, 30, 9, 31)], P1, berlin(2026, 11, 30, 9, 40))
    assert not on_time.breached(berlin(2026, 11, 30, 9, 30))
    assert late.breached(berlin(2026, 11, 30, 9, 40))
    # the update clock runs from the last public reply: 60 service minutes for P1
    update = next(c for c in on_time.clocks if c.name == "update" and c.met_at is None)
    assert update.due == berlin(2026, 11, 30, 10, 20)


def test_resolution_time_while_resolved_does_not_count_after_reopen():
    opened = berlin(2026, 11, 30, 9, 0)
    changes = [Change(berlin(2026, 11, 30, 10, 0), State.RESOLVED),
               Change(berlin(2026, 12, 1, 10, 0), State.IN_PROGRESS)]
    # one hour used on Monday; 180 minutes left from Tuesday 10:00
    assert _due(opened, P1, "resolution", state=State.IN_PROGRESS, changes=changes,
                now=berlin(2026, 12, 1, 10, 0)) == berlin(2026, 12, 1, 13, 0)

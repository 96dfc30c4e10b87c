"""The notices: who gets them, in which language, with which iCalendar, and never twice."""
from collections import Counter
from datetime import timedelta

import icalendar
import pytest

from console.errors import RuleViolation
from console.maintenance import jobs, services
from console.maintenance.models import WindowState
from tests.conftest import berlin
from tests.maintenance.conftest import outbox


def calendar_of(message) -> tuple[icalendar.Event, str, str]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    event = next(iter(cal.walk("VEVENT")))
    return event, str(cal["METHOD"]), part.get_param("method")


@pytest.fixture(autouse=True)
def monday(freeze):
    freeze(berlin(2026, 11, 30, 10))


def test_platform_window_reaches_every_reseller_and_opted_in_admins(network, schedule):
    nord, sued, *_ = network
    schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    assert sorted(m.recipient for m in outbox()) == sorted(["admin@nord.example", nord.notice_email,
                                                            sued.notice_email])


def test_window_on_named_pbxs_reaches_only_their_reseller(network, schedule):
    nord, sued, kunde_nord, kunde_sued = network
    schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), pbxs=[kunde_sued.pbx])
    assert [m.recipient for m in outbox()] == [sued.notice_email]


def test_notice_language_times_and_calendar(network, schedule):
    nord, sued, *_ = network
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), title_de="Sicherheitsupdate Größe",
                      title_en="Security update")
    german = next(m.parsed for m in outbox() if m.recipient == nord.notice_email)
    english = next(m.parsed for m in outbox() if m.recipient == sued.notice_email)
    assert "Sicherheitsupdate Größe" in german["Subject"] and "Ankündigung" in german["Subject"]
    assert "Dienstag, 8. Dezember 2026, 22:00 Uhr MEZ (UTC+01:00)" in german.get_body(("plain",)).get_content()
    assert "Tuesday, 8 December 2026, 22:00 CET (UTC+01:00)" in english.get_body(("plain",)).get_content()
    event, method, param = calendar_of(english)
    assert method == param == "PUBLISH"
    assert str(event["UID"]) == window.uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == berlin(2026, 12, 8, 22) and event.decoded("DTEND") == berlin(2026, 12, 9, 2)
    assert "ORGANIZER" in event and "ATTENDEE" not in event
    assert str(event["SUMMARY"]) == "Security update"


@pytest.mark.parametrize("start, end, local, offset", [
    # clocks go forward on 28 March 2027: a window from Saturday night to Sunday morning
    (berlin(2027, 3, 27, 23), berlin(2027, 3, 28, 4), "Sunday, 28 March 2027, 04:00 CEST", "UTC+02:00"),
    # clocks go back on 31 October 2027
    (berlin(2027, 10, 30, 23), berlin(2027, 10, 31, 4), "Sunday, 31 October 2027, 04:00 CET", "UTC+01:00"),
])
def test_windows_across_dst_changes_show_the_right_times(network, schedule, freeze, start, end, local, offset):
    freeze(start - timedelta(days=10))
    schedule(start, end)
    _, sued, *_ = network
    message = next(m.parsed for m in outbox() if m.recipient == sued.notice_email)
    text = message.get_body(("plain",)).get_content()
    assert f"{local} ({offset})" in text
    event, _, _ = calendar_of(message)
    assert event.decoded("DTEND") == end and (end - start) == event.decoded("DTEND") - event.decoded("DTSTART")


def test_reschedule_and_cancel_raise_the_sequence_and_nobody_gets_a_notice_twice(network, schedule):
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    services.reschedule(window, starts_at=berlin(2026, 12, 10, 22), ends_at=berlin(2026, 12, 11, 1))
    services.reschedule(window, starts_at=berlin(2026, 12, 10, 22), ends_at=berlin(2026, 12, 11, 1))  # no change
    services.cancel(window, "nicht mehr nötig")
    with pytest.raises(RuleViolation):
        services.cancel(window)  # a second cancel is refused, and sends nothing
    messages = outbox()
    per_recipient = Counter(m.recipient for m in messages)
    assert set(per_recipient.values()) == {3}  # announcement, reschedule, cancellation
    assert len({m.message_id for m in messages}) == len(messages)
    _, sued, *_ = network
    theirs = [m.parsed for m in messages if m.recipient == sued.notice_email]
    (a, am, _), (r, rm, _), (c, cm, cp) = (calendar_of(m) for m in theirs)
    assert (am, rm, cm, cp) == ("PUBLISH", "PUBLISH", "CANCEL", "CANCEL")
    assert str(a["UID"]) == str(r["UID"]) == str(c["UID"]) == window.uid
    assert [int(e["SEQUENCE"]) for e in (a, r, c)] == [0, 1, 2]
    assert str(c["STATUS"]) == "CANCELLED" and str(a["STATUS"]) == "CONFIRMED"
    assert r.decoded("DTSTART") == berlin(2026, 12, 10, 22)


def test_reschedule_is_checked_against_the_same_rules(network, schedule, freeze):
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    with pytest.raises(RuleViolation, match="7 days ahead"):
        services.reschedule(window, starts_at=berlin(2026, 12, 2, 22), ends_at=berlin(2026, 12, 3, 2))
    with pytest.raises(RuleViolation, match="business hours"):
        services.reschedule(window, starts_at=berlin(2026, 12, 9, 16), ends_at=berlin(2026, 12, 9, 18))
    assert window.starts_at == berlin(2026, 12, 8, 22) and window.sequence == 0


def test_the_ticker_reminds_starts_and_the_staff_complete(network, schedule, freeze):
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    freeze(berlin(2026, 12, 7, 21, 59))
    jobs.send_due_notices()
    assert kinds_sent() == {"announcement": 3}
    freeze(berlin(2026, 12, 7, 22, 0))  # 24 hours before: the reminder, once however often the ticker runs
    jobs.send_due_notices()
    jobs.send_due_notices()
    assert kinds_sent() == {"announcement": 3, "reminder": 3}
    freeze(berlin(2026, 12, 8, 22, 0))
    jobs.send_due_notices()
    assert window.state is WindowState.RUNNING
    services.complete(window, "Alles erledigt.")
    assert kinds_sent() == {"announcement": 3, "reminder": 3, "start": 3, "completion": 3}


def kinds_sent() -> dict[str, int]:
    """Notices queued so far, by kind (the outbox key is maintenance:<uid>:<kind>:<sequence>:<recipient>)."""
    return dict(Counter(m.key.split(":")[2] for m in outbox()))


def test_scheduler_down_over_the_announcement_deadline_flags_and_never_announces_late(
        network, schedule, make_login, freeze):
    from console.auth.models import Role
    make_login(Role.STAFF_ADMIN, email="ops@stimme.example")
    window = schedule(berlin(2026, 12, 14, 22), berlin(2026, 12, 15, 2), announce_at=berlin(2026, 12, 1, 9))
    assert window.state is WindowState.PLANNED and outbox() == []
    freeze(berlin(2026, 12, 7, 22, 1))  # the scheduler comes back after the one-week deadline
    jobs.send_due_notices()
    assert window.state is WindowState.MISSED
    assert outbox() == []  # nobody was told as if it were on time
    assert [m.recipient for m in outbox("maintenance/missed")] == ["ops@stimme.example"]


def test_scheduler_back_in_time_announces_once(network, schedule, freeze):
    window = schedule(berlin(2026, 12, 14, 22), berlin(2026, 12, 15, 2), announce_at=berlin(2026, 12, 1, 9))
    freeze(berlin(2026, 12, 3, 9))  # two days late, still a week and more before the start
    jobs.send_due_notices()
    jobs.send_due_notices()
    assert window.state is WindowState.ANNOUNCED
    assert len(outbox()) == 3


def test_announced_windows_cover_only_what_was_announced(network, schedule, freeze):
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    freeze(berlin(2026, 12, 8, 22))
    jobs.send_due_notices()
    freeze(berlin(2026, 12, 9, 1))
    services.extend(window, berlin(2026, 12, 9, 4))  # overran: the extra two hours were not announced in time
    covered = services.announced_windows(berlin(2026, 12, 1), berlin(2026, 12, 31))
    assert covered == [(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), None)]


def test_an_unknown_notice_kind_is_refused_and_queues_nothing(network, schedule):
    from console.maintenance import notices
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    queued = len(outbox())
    with pytest.raises(ValueError, match="unknown notice kind 'reminder-2'"):
        notices.send(window, "reminder-2")
    assert len(outbox()) == queued

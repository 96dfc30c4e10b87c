"""End to end: reschedule and cancel a window, deliver through a real SMTP server, read what arrived."""
from collections import Counter
from datetime import timedelta

import icalendar

from console.extensions import db
from console.mail.jobs import deliver_due
from console.mail.models import OutboxState
from console.maintenance import jobs, services
from tests.conftest import berlin
from tests.maintenance.conftest import outbox


def test_received_notices_carry_the_right_calendar_and_nobody_gets_one_twice(network, schedule, smtp_sink, freeze):
    smtp = smtp_sink
    freeze(berlin(2026, 11, 30, 10))
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), title_de="Größeres Update",
                      title_en="Bigger update")
    deliver_due()
    services.reschedule(window, starts_at=berlin(2026, 12, 10, 22), ends_at=berlin(2026, 12, 11, 2))
    jobs.send_due_notices()  # a tick in between changes nothing
    deliver_due()
    services.cancel(window, "verschoben auf Januar")
    deliver_due()
    deliver_due()  # a second run delivers nothing again

    assert len(smtp.message_ids()) == len(set(smtp.message_ids())) == 9  # 3 recipients × 3 notices
    assert set(Counter(rcpt for r in smtp.received for rcpt in r.rcpt_tos).values()) == {3}
    sequences = {}
    for received in smtp.received:
        message = received.parsed
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        event = next(iter(cal.walk("VEVENT")))
        assert str(cal["METHOD"]) == part.get_param("method")
        assert str(event["UID"]) == window.uid
        sequences.setdefault(received.rcpt_tos[0], []).append(
            (int(event["SEQUENCE"]), str(cal["METHOD"]), str(event["STATUS"])))
        assert "Größeres Update" in message["Subject"] or "Bigger update" in message["Subject"]
    for recipient, seen in sequences.items():
        assert seen == [(0, "PUBLISH", "CONFIRMED"), (1, "PUBLISH", "CONFIRMED"), (2, "CANCEL", "CANCELLED")], recipient


def _calendars(smtp):
    """(recipient, SEQUENCE, METHOD, the part's Content-Type as written, the part read as text) per mail received."""
    found = []
    for received in smtp.received:
        part = next(p for p in received.parsed.walk() if p.get_content_type() == "text/calendar")
        event = next(iter(icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")))
        raw_type = next(line for line in received.raw.split(b"\r\n") if line.startswith(b"Content-Type: text/calendar"))
        found.append((received.rcpt_tos[0], int(event["SEQUENCE"]), part.get_param("method"), raw_type.decode(),
                      part.get_content()))
    return found


def test_the_calendar_attachment_says_it_is_utf8(network, schedule, smtp_sink, freeze):
    freeze(berlin(2026, 11, 30, 10))
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), title_de="Größere Wartung",
                      title_en="Größere Wartung")
    deliver_due()
    services.cancel(window, "verschoben")
    deliver_due()
    calendars = _calendars(smtp_sink)
    assert len(calendars) == 6
    for _, _, method, content_type, text in calendars:
        assert content_type == f"Content-Type: text/calendar; charset=utf-8; method={method}"
        assert "SUMMARY:Größere Wartung" in text  # Python's parser read mojibake without the charset


def test_a_notice_superseded_while_it_waited_is_never_sent(network, schedule, smtp_sink, freeze):
    start = freeze(berlin(2026, 11, 30, 10))
    smtp_sink.stop()  # the announcement waits in the outbox ...
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    assert deliver_due().deferred == 3
    services.reschedule(window, starts_at=berlin(2026, 12, 10, 22), ends_at=berlin(2026, 12, 11, 2))
    smtp_sink.start()  # ... and the window was moved before it could go out
    freeze(start + timedelta(minutes=5))
    report = deliver_due()
    services.cancel(window)
    deliver_due()
    seen = {}
    for recipient, sequence, method, _, _ in _calendars(smtp_sink):
        seen.setdefault(recipient, []).append((sequence, method))
    assert len(seen) == 3 and all(s == [(1, "PUBLISH"), (2, "CANCEL")] for s in seen.values()), seen
    assert (report.sent, report.superseded) == (3, 3)
    announcements = outbox()[:3]
    assert {m.state.value for m in announcements} == {"superseded"}
    assert all(m.last_error.startswith("Nicht gesendet: durch eine neuere") for m in announcements)  # in German


def test_a_notice_claimed_by_a_dead_worker_never_arrives_after_the_cancellation(network, schedule, smtp_sink,
                                                                                  freeze):
    start = freeze(berlin(2026, 11, 30, 10))
    window = schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2))
    for message in outbox():  # a worker claimed the announcements and died before sending them
        message.state, message.claimed_at = OutboxState.SENDING, start
    db.session.commit()
    freeze(start + timedelta(minutes=1))
    services.cancel(window)
    db.session.commit()
    assert deliver_due().sent == 0  # the cancellation waits while its announcement may still be on its way
    freeze(start + timedelta(minutes=20))  # the dead worker's claim is released
    report = deliver_due()
    assert (report.sent, report.superseded) == (3, 3)
    assert sorted((seq, method) for _, seq, method, _, _ in _calendars(smtp_sink)) == [(1, "CANCEL")] * 3

"""End to end: reschedule and cancel a window, deliver through a real SMTP server, read what arrived."""
from collections import Counter

import icalendar
from console.mail.delivery import deliver_due
from console.maintenance import jobs, services
from tests.conftest import berlin


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

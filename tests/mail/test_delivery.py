"""Outbox and delivery against a real SMTP server (aiosmtpd on loopback): nothing lost, nothing twice."""
from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.utils import parseaddr

import pytest
from sqlalchemy import func, select

from console.errors import RuleViolation
from console.extensions import db
from console.mail import delivery
from console.mail.delivery import retry_now
from console.mail.jobs import deliver_due
from console.mail.models import OutboxMessage, OutboxState
from console.mail.outbox import Attachment, MessageTooLarge, queue_mail
from tests.conftest import utc
from tests.mail.conftest import rows
from tests.mail.servers import ControllableSMTP


def notice(key: str, to: str = "kunde@example.com", subject: str = "Wartung", body: str = "Text", **kw):
    return queue_mail(key=key, to=to, template="test_notice", context={"subject": subject, "body": body}, **kw)


def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(outbox_to):
    notice("rolled-back")
    db.session.rollback()
    notice("committed")
    db.session.commit()
    assert str(deliver_due()) == "1 sent, 0 deferred, 0 failed"
    assert len(outbox_to.received) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_hundred_messages_wait_while_the_server_is_down_and_each_arrives_once(outbox_to, freeze):
    start = freeze(utc(2026, 11, 30, 8))
    outbox_to.stop()
    for n in range(100):
        notice(f"down-{n}", to=f"empfaenger{n}@example.com")
    db.session.commit()

    report = deliver_due()
    assert (report.sent, report.deferred) == (0, 100)
    waiting = rows(OutboxMessage)
    assert all(m.state is OutboxState.QUEUED and m.attempts == 1 for m in waiting)
    assert "Connection refused" in waiting[0].last_error

    outbox_to.start()
    assert deliver_due().sent == 0  # not due yet: the backoff is honoured
    freeze(start + timedelta(minutes=2))
    assert deliver_due().sent == 100
    freeze(start + timedelta(days=1))
    assert deliver_due().sent == 0

    assert len(outbox_to.received) == 100
    assert sorted(outbox_to.message_ids()) == sorted(m.message_id for m in rows(OutboxMessage))
    assert {r.rcpt_tos[0] for r in outbox_to.received} == {f"empfaenger{n}@example.com" for n in range(100)}
    assert all(m.state is OutboxState.SENT and m.last_error is None for m in rows(OutboxMessage))


def test_a_permanent_refusal_is_not_retried_and_staff_are_told(outbox_to, freeze, app):
    start = freeze(utc(2026, 11, 30, 8))
    outbox_to.refuse["gibtsnicht@example.com"] = "550 5.1.1 <gibtsnicht@example.com>: user unknown"
    message = notice("refused", to="gibtsnicht@example.com", subject="Rechnung")
    db.session.commit()

    deliver_due()
    assert message.state is OutboxState.FAILED and message.next_attempt_at is None
    assert message.last_error == "550 5.1.1 <gibtsnicht@example.com>: user unknown"
    for days in (1, 3, 6):
        freeze(start + timedelta(days=days))
        deliver_due()
    assert outbox_to.rcpt_attempts.count("gibtsnicht@example.com") == 1

    staff = app.extensions["settings"].mail_staff_to
    (told,) = [r for r in outbox_to.received if r.rcpt_tos == [staff]]
    assert "Rechnung" in told.parsed["Subject"]
    for part in ("plain", "html"):
        body = told.parsed.get_body((part,)).get_content()
        assert "gibtsnicht@example.com" in body and "550 5.1.1" in body and f"/mail/outbox/{message.id}" in body


def test_temporary_refusals_are_retried_for_five_days_then_given_up(outbox_to, freeze):
    start = freeze(utc(2026, 11, 30, 8))
    outbox_to.refuse["voll@example.com"] = "452 4.2.2 mailbox full"
    message = notice("full", to="voll@example.com")
    db.session.commit()
    while message.state is OutboxState.QUEUED:
        deliver_due()
        if message.next_attempt_at:
            freeze(message.next_attempt_at)
    assert message.state is OutboxState.FAILED
    assert message.last_error == "452 4.2.2 mailbox full"
    assert outbox_to.rcpt_attempts.count("voll@example.com") == message.attempts > 100
    assert start + timedelta(days=4) < message.claimed_at <= start + timedelta(days=5)


def test_a_temporary_refusal_then_success_delivers_once(outbox_to, freeze):
    start = freeze(utc(2026, 11, 30, 8))
    outbox_to.refuse["spaeter@example.com"] = "451 4.3.0 try again later"
    message = notice("later", to="spaeter@example.com")
    db.session.commit()
    deliver_due()
    assert message.state is OutboxState.QUEUED and message.last_error.startswith("451")
    del outbox_to.refuse["spaeter@example.com"]
    freeze(start + timedelta(minutes=1))
    deliver_due()
    deliver_due()
    assert message.state is OutboxState.SENT and len(outbox_to.received) == 1


def test_staff_retry_now_sends_a_failed_message_again(outbox_to):
    outbox_to.refuse["tippfehler@example.com"] = "550 5.1.1 no such user"
    message = notice("typo", to="tippfehler@example.com")
    db.session.commit()
    deliver_due()
    assert message.state is OutboxState.FAILED
    outbox_to.refuse.clear()
    retry_now(message)
    db.session.commit()
    deliver_due()
    assert message.state is OutboxState.SENT
    assert [r.rcpt_tos for r in outbox_to.received].count(["tippfehler@example.com"]) == 1


def test_the_same_key_queues_one_message(outbox_to):
    first = notice("once", subject="Erste")
    second = notice("once", subject="Zweite")
    db.session.commit()
    deliver_due()
    assert first.id == second.id
    assert len(outbox_to.received) == 1 and "Erste" in outbox_to.received[0].parsed["Subject"]


def test_a_message_over_the_size_limit_is_refused_with_a_clear_error(outbox_to):
    big = Attachment("aufnahme.wav", "audio/wav", b"\x00" * (9 * 1024 * 1024))
    with pytest.raises(MessageTooLarge) as refused:
        notice("big", attachments=[big])
    text = str(refused.value.errors["attachments"])
    assert "12." in text and "MB" in text and "10.0 MB" in text
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    small = Attachment("aufnahme.wav", "audio/wav", b"\x00" * (6 * 1024 * 1024))
    assert notice("fits", attachments=[small]).size < 10 * 1024 * 1024


def test_umlauts_survive_end_to_end(outbox_to):
    pdf = "Übersicht März.pdf".encode()  # content only needs to be bytes; the name carries the umlauts
    notice("umlauts", to="Jürgen Müßig <juergen@example.com>", subject="Störung in Köln – Überspannung",
           body="Grüße aus der Schäferstraße",
           attachments=[Attachment("Übersicht März.pdf", "application/pdf", pdf),
                        Attachment("wartung.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\n",
                                   {"method": "PUBLISH"})],
           reply_to="Bäckerei Sonnenschein <info@example.com>")
    db.session.commit()
    deliver_due()
    (got,) = outbox_to.received
    message = got.parsed
    assert got.rcpt_tos == ["juergen@example.com"]
    assert "Störung in Köln – Überspannung" in message["Subject"]
    assert message["To"].addresses[0].display_name == "Jürgen Müßig"
    assert parseaddr(str(message["Reply-To"]))[0] == "Bäckerei Sonnenschein"
    assert "Störung in Köln – Überspannung" in message.get_body(("plain",)).get_content()
    assert "Störung in Köln – Überspannung" in message.get_body(("html",)).get_content()
    assert "Grüße aus der Schäferstraße" in message.get_body(("html",)).get_content()
    assert "Grüße aus der Schäferstraße" in message.get_body(("plain",)).get_content()
    attachments = {a.get_filename(): a for a in message.iter_attachments()}
    assert attachments["Übersicht März.pdf"].get_content() == pdf
    assert attachments["wartung.ics"].get_content_type() == "text/calendar"
    assert attachments["wartung.ics"].get_param("method") == "PUBLISH"


def test_the_message_id_follows_from_the_key(outbox_to):
    a = notice("id-a")
    db.session.commit()
    deliver_due()
    assert outbox_to.message_ids() == [a.message_id]
    assert a.message_id.endswith("@stimme.local>")
    db.session.delete(a)
    db.session.flush()
    assert notice("id-a").message_id == a.message_id
    assert notice("id-b").message_id != a.message_id


def test_a_claim_left_by_a_dead_worker_is_released_and_sent(outbox_to, freeze):
    start = freeze(utc(2026, 11, 30, 8))
    message = notice("orphan")
    message.state, message.claimed_at = OutboxState.SENDING, start  # a worker claimed it and died
    db.session.commit()
    assert deliver_due().sent == 0  # it may still be sending
    freeze(start + timedelta(minutes=16))
    assert deliver_due().sent == 1 and message.state is OutboxState.SENT


def test_the_cli_delivers_and_retries(outbox_to, app):
    outbox_to.refuse["cli@example.com"] = "550 5.1.1 no"
    message = notice("cli", to="cli@example.com")
    db.session.commit()
    runner = app.test_cli_runner()
    assert "1 failed" in runner.invoke(args=["mail", "deliver"]).output  # (and the staff notice is sent)
    outbox_to.refuse.clear()
    assert "queued again" in runner.invoke(args=["mail", "retry", str(message.id)]).output
    assert "mail.deliver done" in runner.invoke(args=["jobs", "run-once", "mail.deliver"]).output
    db.session.expire_all()
    assert message.state is OutboxState.SENT
    assert [r.rcpt_tos for r in outbox_to.received].count(["cli@example.com"]) == 1
    assert "was sent" in runner.invoke(args=["mail", "retry", str(message.id)]).output


# --- addresses: internationalised, broken, hostile ------------------------------------------------------------

def test_one_bad_address_never_stops_the_others_and_international_ones_are_sent(outbox_to):
    """jörg@müller.de once made smtplib raise UnicodeEncodeError: every message of the batch stayed "sending"
    and the same crash came back every run. Now each message ends on its own."""
    notice("before", to="erste@example.com")
    notice("smtputf8", to="Jörg Müller <jörg@müller.de>", subject="Störung")
    notice("idna", to="joerg@straße.de")
    notice("after", to="letzte@example.com")
    db.session.commit()
    assert str(deliver_due()) == "4 sent, 0 deferred, 0 failed"
    got = {r.rcpt_tos[0]: r for r in outbox_to.received}
    assert set(got) == {"erste@example.com", "jörg@xn--mller-kva.de", "joerg@xn--strae-oqa.de", "letzte@example.com"}
    assert got["jörg@xn--mller-kva.de"].smtputf8 and not got["joerg@xn--strae-oqa.de"].smtputf8
    utf8 = email.message_from_string(got["jörg@xn--mller-kva.de"].raw.decode(), policy=email.policy.default)
    to = utf8["To"].addresses[0]  # RFC 6532: the headers themselves are UTF-8
    assert (to.display_name, to.username) == ("Jörg Müller", "jörg")
    assert all(m.state is OutboxState.SENT for m in rows(OutboxMessage))


def test_a_server_without_smtputf8_fails_only_that_message_with_a_clear_reason(configure, app):
    server = ControllableSMTP(smtputf8=False)
    server.start()
    try:
        configure(smtp_url=server.url)
        jörg = notice("no-utf8", to="jörg@müller.de", subject="Störung")
        notice("fine", to="joerg@müller.de")
        db.session.commit()
        assert str(deliver_due()) == "2 sent, 0 deferred, 1 failed"  # the staff notice is the second one sent
        assert jörg.state is OutboxState.FAILED and jörg.attempts == 1
        assert "jörg@müller.de" in jörg.last_error and "SMTPUTF8" in jörg.last_error
        staff = app.extensions["settings"].mail_staff_to
        assert sorted(r.rcpt_tos[0] for r in server.received) == sorted(["joerg@xn--mller-kva.de", staff])
    finally:
        server.stop()


def test_an_error_that_is_not_the_servers_answer_fails_that_message_after_a_few_tries(outbox_to, freeze, app,
                                                                                      monkeypatch):
    start = freeze(utc(2026, 11, 30, 8))
    monkeypatch.setitem(delivery.CURRENT_REVISION, "broken", "tests.mail.inbound_handlers:explode_revision")
    poison = notice("poison", to="opfer@example.com", subject="Gift", topic="broken:1", revision=1)
    notice("healthy", to="gesund@example.com")
    db.session.commit()
    for _ in range(delivery.LOCAL_ERROR_TRIES):
        deliver_due()
        assert poison.state is not OutboxState.SENDING  # never left claimed
        if poison.next_attempt_at:
            freeze(poison.next_attempt_at)
    assert poison.state is OutboxState.FAILED and poison.attempts == delivery.LOCAL_ERROR_TRIES
    assert "RuntimeError" in poison.last_error and poison.claimed_at < start + timedelta(hours=1)
    staff = app.extensions["settings"].mail_staff_to
    assert sorted(r.rcpt_tos[0] for r in outbox_to.received) == sorted(["gesund@example.com", staff])
    (told,) = [r for r in outbox_to.received if r.rcpt_tos == [staff]]
    assert "Gift" in told.parsed["Subject"] and "RuntimeError" in told.parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize("field, kw", [
    ("to", {"to": "kunde@example.com\r\nBcc: alle@example.com"}),
    ("to", {"to": "kunde@example.com, zweiter@example.com"}),
    ("to", {"to": "kein-at-zeichen"}),
    ("to", {"to": "x@-kaputt-.de"}),
    ("to", {"headers": {"X-Ticket": "1\r\nBcc: alle@example.com"}}),
    ("reply_to", {"reply_to": "a@example.com\nBcc: alle@example.com"}),
])
def test_a_line_break_or_a_bad_address_is_refused_when_queued(outbox_to, field, kw):
    kw = {"to": "kunde@example.com", **kw}
    with pytest.raises(RuleViolation) as refused:
        notice("hostile", **kw)
    assert field in refused.value.errors and str(refused.value.errors[field])
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_every_message_says_it_is_automatic(outbox_to):
    notice("auto")
    db.session.commit()
    deliver_due()
    (got,) = outbox_to.received
    assert got.parsed["Auto-Submitted"] == "auto-generated"

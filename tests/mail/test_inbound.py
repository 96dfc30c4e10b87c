"""Inbound SMTP with smtplib as the client against the console's own aiosmtpd server."""
from __future__ import annotations

import email.policy
import smtplib
from datetime import timedelta
from email.message import EmailMessage

import pytest

from console import clock
from console.extensions import db
from console.mail import inbound
from console.mail import jobs as mail_jobs
from console.mail.models import InboundMessage, InboundState, OutboxMessage
from tests.mail import inbound_handlers
from tests.mail.servers import inbound_server, wait_for

pytestmark = pytest.mark.no_db


@pytest.fixture
def server(database_url, tmp_path, monkeypatch):
    monkeypatch.setitem(inbound.INBOUND_HANDLERS, "recorder", "tests.mail.inbound_handlers:record")
    monkeypatch.setitem(inbound.INBOUND_HANDLERS, "flaky", "tests.mail.inbound_handlers:explode")
    inbound_handlers.seen.clear()
    inbound_handlers.broken["on"] = True
    with inbound_server(database_url, tmp_path, "mailer_inbound", inbound_domains="stimme.test",
                        inbound_addresses="stoerung=recorder,Fax=flaky,niemand=unregistered",
                        inbound_max_bytes=50_000) as running:
        yield running


def message(to: str, subject: str = "Störung bei Müller GmbH", body: str = "Telefonie fällt aus.") -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Händler Nord <partner@example.com>", to, subject
    m.set_content(body)
    return m


def wire(m: EmailMessage) -> bytes:
    return m.as_bytes(policy=email.policy.SMTP)


def send(port: int, m: EmailMessage, to: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(m, to_addrs=to)


def stored(app) -> list[InboundMessage]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(InboundMessage).order_by(InboundMessage.id)))
        db.session.expunge_all()
        return rows



def test_accepted_mail_is_stored_before_its_handler_runs(server):
    app, port = server
    m = message("Störungsannahme <stoerung@stimme.test>")
    send(port, m)
    (seen,) = wait_for(lambda: list(inbound_handlers.seen))
    assert seen["subject"] == "Störung bei Müller GmbH"
    assert seen["stored_state"] == "received" and seen["stored_raw"] == wire(m)  # committed, as sent
    (row,) = wait_for(lambda: [r for r in stored(app) if r.state is InboundState.HANDLED])
    assert row.rcpt_to == "stoerung@stimme.test" and row.handler == "recorder" and row.attempts == 1
    assert row.mail_from == "partner@example.com"


def test_unknown_recipients_are_refused_at_smtp_time(server):
    app, port = server
    for to in ("wer@stimme.test", "stoerung@anderswo.example", "niemand@stimme.test"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(port, message(to))
        code, reply = refused.value.recipients[to]
        assert code == 550 and b"no such recipient" in reply
    assert stored(app) == []


def test_one_bad_recipient_does_not_stop_the_good_one(server):
    app, port = server
    send(port, message("stoerung@stimme.test"), to=["stoerung@stimme.test", "wer@stimme.test"])
    assert [r.rcpt_to for r in stored(app)] == ["stoerung@stimme.test"]
    assert wait_for(lambda: inbound_handlers.seen)[0]["to"] == "stoerung@stimme.test"


def test_oversize_mail_is_refused_at_smtp_time(server):
    app, port = server
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(port, message("stoerung@stimme.test", body="x" * 60_000))
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:  # a client that does not announce the size
        client.ehlo()
        client.mail("partner@example.com")
        client.rcpt("stoerung@stimme.test")
        code, reply = client.data(wire(message("stoerung@stimme.test", body="y" * 60_000)))
    assert code == 552, reply
    assert stored(app) == []


def test_a_failing_handler_loses_nothing_and_is_retried(server):
    app, port = server
    m = message("fax@stimme.test", subject="Fax an 030 1234")
    send(port, m)
    (row,) = wait_for(lambda: [r for r in stored(app) if r.state is InboundState.RETRY])
    assert row.raw == wire(m) and row.attempts == 1 and row.handler == "flaky"
    assert "fax gateway unreachable for fax@stimme.test" in row.last_error

    with app.app_context():
        assert mail_jobs.dispatch_due() == 0  # not due yet
        inbound_handlers.broken["on"] = False
        clock.set_now(row.next_attempt_at + timedelta(seconds=1))
        try:
            assert mail_jobs.dispatch_due() == 1
        finally:
            clock.set_now(None)
    (row,) = stored(app)
    assert row.state is InboundState.HANDLED and row.attempts == 2
    assert [s["subject"] for s in inbound_handlers.seen] == ["Fax an 030 1234"]


def test_a_handler_that_keeps_failing_is_handed_to_staff_after_a_few_tries(server):
    """Bounded: after MAX_ATTEMPTS the message is `failed` (staff see it, with the error) and staff get a mail;
    before, it was retried for five days and nobody was told."""
    app, port = server
    send(port, message("fax@stimme.test", subject="Fax an 030 9876"))
    (row,) = wait_for(lambda: [r for r in stored(app) if r.state is InboundState.RETRY])
    with app.app_context():
        try:
            for _ in range(inbound.MAX_ATTEMPTS + 3):
                row = db.session.get(InboundMessage, row.id)
                if row.state is not InboundState.RETRY:
                    break
                clock.set_now(row.next_attempt_at + timedelta(seconds=1))
                mail_jobs.dispatch_due()
        finally:
            clock.set_now(None)
        row = db.session.get(InboundMessage, row.id)
        assert row.state is InboundState.FAILED and row.attempts == inbound.MAX_ATTEMPTS
        assert "fax gateway unreachable" in row.last_error
        (told,) = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.template == "inbound_failed"))
        assert told.recipient == app.extensions["settings"].mail_staff_to
        body = told.parsed.get_body(("plain",)).get_content()
        assert "Fax an 030 9876" in told.subject and "fax gateway unreachable" in body
        assert f"/mail/inbound/{row.id}" in body
        assert mail_jobs.dispatch_due() == 0  # no more tries by itself

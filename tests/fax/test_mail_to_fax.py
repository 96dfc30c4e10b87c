"""E-mail to fax end to end: smtplib → the console's inbound SMTP → render job → the gateway test server over
HTTP → delivery report through the outbox to a real SMTP server, parsed, its PDF opened with pypdf."""
from __future__ import annotations

import io
import smtplib
from datetime import timedelta

import pytest
from pypdf import PdfReader

from console import clock
from console.extensions import db
from console.fax import jobs as fax_jobs
from console.fax.models import Direction, Fax, FaxState
from console.mail import jobs as mail_jobs
from tests.fax import documents
from tests.fax.conftest import FAX_DOMAIN
from tests.fax.gateway_test_server import BUSY, NO_ANSWER, SENT, fails_after
from tests.mail.servers import wait_for

pytestmark = pytest.mark.no_db
TO = "+49891234567"


def outgoing(stack) -> list[Fax]:
    def read():
        rows = list(db.session.scalars(db.select(Fax).where(Fax.direction == Direction.OUT).order_by(Fax.id)))
        for row in rows:
            _ = row.tries
        db.session.expunge_all()
        return rows
    return stack.run(read)


def send_and_render(stack, attachments, to=(f"0891234567@{FAX_DOMAIN}",), count=1):
    stack.mail(list(to), attachments)
    wait_for(lambda: len(outgoing(stack)) >= count and all(f.state is not FaxState.RENDERING or f.source_path
                                                           for f in outgoing(stack)))
    stack.run(fax_jobs.render_outgoing)


def reports(stack, count: int) -> list:
    stack.run(mail_jobs.deliver_due)
    wait_for(lambda: len(stack.sink.received) >= count)
    return [r.parsed for r in stack.sink.received]


def report_pdf(message) -> PdfReader:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return PdfReader(io.BytesIO(part.get_content()))


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_mailed_pdf_is_faxed_and_the_sender_gets_a_report(stack):
    send_and_render(stack, [("angebot.pdf", "application/pdf", documents.letter_pdf(2))])
    answer = stack.gateway.poll_once()
    assert answer["status"] == 200 and answer["answer"]["state"] == "sent"
    assert answer["job"]["to"] == TO and answer["job"]["caller_id"] == stack.fax_number
    assert stack.gateway.documents[0].size == (1728, 2292)
    (report,) = reports(stack, 1)
    assert report["To"] == stack.sender
    text = body(report)
    assert "+49 89 1234567" in text and "2 von 2" in text and "+49 89 5550100" in text   # German: the user's
    pdf = report_pdf(report)
    assert pdf.pages[0].images, "the report shows a thumbnail of page 1"
    assert "+49 89 1234567" in pdf.pages[0].extract_text()
    assert stack.gateway.poll_once() is None


def test_busy_then_sent_after_the_retry_spacing(stack):
    stack.gateway.script[TO] = [BUSY, SENT]
    send_and_render(stack, [("a.pdf", "application/pdf", documents.letter_pdf(1))])
    assert stack.gateway.poll_once()["answer"]["state"] == "ready"
    assert stack.gateway.poll_once() is None            # not before the spacing
    clock.set_now(clock.now() + timedelta(minutes=11))
    try:
        assert stack.gateway.poll_once()["answer"]["state"] == "sent"
        (report,) = reports(stack, 1)
    finally:
        clock.set_now(None)
    text = body(report)
    assert "besetzt" in text and "1 von 1" in text
    assert report_pdf(report).pages[0].images


def test_no_answer_until_the_retries_run_out_is_a_failure_report(stack):
    stack.gateway.script[TO] = [NO_ANSWER, NO_ANSWER, NO_ANSWER]
    send_and_render(stack, [("a.pdf", "application/pdf", documents.letter_pdf(1))])
    try:
        for expected in ("ready", "ready", "failed"):
            assert stack.gateway.poll_once()["answer"]["state"] == expected
            clock.set_now(clock.now() + timedelta(minutes=11))
        (report,) = reports(stack, 1)
    finally:
        clock.set_now(None)
    assert "NICHT gesendet" in report["Subject"]
    text = body(report)
    assert text.count("keine Antwort") == 3 and "0 von 1" in text


def test_the_line_dropping_after_some_pages_is_reported_with_the_pages_sent(stack):
    stack.gateway.script[TO] = [fails_after(2)]
    send_and_render(stack, [("a.pdf", "application/pdf", documents.letter_pdf(3))])
    assert stack.gateway.poll_once()["answer"]["state"] == "failed"
    (report,) = reports(stack, 1)
    text = body(report)
    assert "2 von 3" in text and "Verbindung brach" in text
    assert report_pdf(report).pages[0].images


def test_two_pdfs_are_refused_with_one_pdf_per_fax(stack):
    stack.mail([f"{TO}@{FAX_DOMAIN}"], [("a.pdf", "application/pdf", documents.letter_pdf(1)),
                                       ("b.pdf", "application/pdf", documents.letter_pdf(1))])
    wait_for(lambda: outgoing(stack))
    (report,) = reports(stack, 1)
    assert "genau ein PDF pro Fax" in body(report)
    assert stack.gateway.poll_once() is None


def test_unauthorised_senders_and_unknown_numbers_are_refused_at_smtp_time(stack):
    pdf = [("a.pdf", "application/pdf", documents.letter_pdf(1))]
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        stack.mail([f"{TO}@{FAX_DOMAIN}"], pdf, sender="fremd@anderswo.example")
    code, reply = refused.value.recipients[f"{TO}@{FAX_DOMAIN}"]
    assert code == 550 and b"may not send faxes" in reply
    for bad in ("12@", "hallo@", "+49 30 1@"):
        address = bad + FAX_DOMAIN
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            stack.mail([address], pdf)
        code, reply = refused.value.recipients[address]
        assert code == 550 and b"not a fax number" in reply
    assert outgoing(stack) == []


BAD = documents.BAD_PDFS
WORDS = {"encrypted": "Passwort", "truncated": "beschädigt", "zero_pages": "keine Seiten",
         "over_the_page_limit": "höchstens 5", "not_a_pdf": "kein PDF", "javascript": "JavaScript",
         "five_by_five_metres": "5000 × 5000 mm", "decompression_bomb": "8000 × 8000"}


def test_every_bad_pdf_ends_in_a_clear_failure_report(stack):
    for n, name in enumerate(sorted(BAD), start=1):
        stack.mail([f"{TO}@{FAX_DOMAIN}"], [(f"{name}.pdf", "application/pdf", BAD[name]())], subject=name)
        wait_for(lambda: len(outgoing(stack)) >= n)
    wait_for(lambda: all(f.source_path for f in outgoing(stack)))
    stack.run(fax_jobs.render_outgoing)
    assert {f.state for f in outgoing(stack)} == {FaxState.FAILED}
    got = {m["Subject"].rpartition(": ")[2]: body(m) for m in reports(stack, len(BAD))}
    for name, word in WORDS.items():
        assert word in got[name], (name, got[name])
    assert stack.gateway.poll_once() is None


def test_a_cover_page_from_subject_and_text_goes_first_when_the_user_wants_one(stack):
    def want_cover():
        from console.accounts.models import PhoneUser
        from console.fax import numbers
        numbers.save_settings(db.session.get(PhoneUser, stack.user_id), cover_page=True, send_confirmation=True,
                              error_mail=True, report_pdf=True, notify_incoming=True, attach_pdf=True)
        db.session.commit()
    stack.run(want_cover)
    send_and_render(stack, [("a.pdf", "application/pdf", documents.letter_pdf(2))])
    answer = stack.gateway.poll_once()
    assert answer["job"]["pages"] == 3 and answer["answer"]["state"] == "sent"
    (report,) = reports(stack, 1)
    assert "3 von 3" in body(report)


def test_the_mtas_authentication_results_are_kept_and_a_dmarc_fail_is_held_unanswered(stack):
    pdf = [("a.pdf", "application/pdf", documents.letter_pdf(1))]
    stack.mail([f"{TO}@{FAX_DOMAIN}"], pdf, headers={
        "Authentication-Results": "mx.stimme.test; spf=pass smtp.mailfrom=kunde.example; dkim=pass "
                                  "header.d=kunde.example; dmarc=pass header.from=kunde.example"})
    (fax,) = wait_for(lambda: outgoing(stack))
    assert {r["method"]: r["result"] for r in fax.auth_results["results"]} == {"spf": "pass", "dkim": "pass",
                                                                                 "dmarc": "pass"}
    stack.mail([f"{TO}@{FAX_DOMAIN}"], pdf, headers={
        "Authentication-Results": "mx.stimme.test; spf=fail smtp.mailfrom=kunde.example; dmarc=fail"})

    def held():
        from console.mail.models import InboundMessage, InboundState
        return stack.run(lambda: db.session.scalar(db.select(InboundMessage.outcome).where(
            InboundMessage.state == InboundState.HELD)))
    assert wait_for(held) == "fax_forged_sender"
    assert len(outgoing(stack)) == 1
    stack.run(mail_jobs.deliver_due)
    assert stack.sink.received == []

"""Fax to e-mail end to end: the gateway test server hands in faxes over HTTP; the job converts them; the outbox
mails them through a real SMTP server — also when that server was down while the faxes arrived."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from console import clock
from console.extensions import db
from console.fax import jobs as fax_jobs, store
from console.fax.models import Direction, Fax, FaxState
from console.mail import jobs as mail_jobs
from tests.fax import documents
from tests.mail.servers import wait_for

pytestmark = pytest.mark.no_db


def received(stack) -> list[Fax]:
    def read():
        rows = list(db.session.scalars(db.select(Fax).where(Fax.direction == Direction.IN).order_by(Fax.id)))
        db.session.expunge_all()
        return rows
    return stack.run(read)


def pdf_of(message) -> PdfReader:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return PdfReader(io.BytesIO(part.get_content()))


def _in_phonebook(name: str, number: str):
    def save():
        from console.accounts.models import Pbx
        from console.directory import books
        from console.directory.books import Book
        from console.directory.connection import get_directory
        from console.directory.tree import Contact
        pbx = db.session.scalar(db.select(Pbx))
        books.save_entry(get_directory(), Book(pbx), Contact(surname=name, phone=number))
    return save


def test_a_received_fax_is_stored_first_and_mailed_to_its_owner_as_pdf(stack):
    stack.run(_in_phonebook("Kanzlei Südwind", "089 7654321"))
    answer = stack.gateway.hand_in(called="+4930555099", calling="+49 89 7654321", station="KANZLEI MUC",
                                   document=documents.fax_tiff(3, (204, 98)))
    assert answer.status_code == 201
    (fax,) = received(stack)
    assert fax.state is FaxState.RECEIVED and fax.phone_user_id == stack.user_id and not fax.flagged
    assert stack.run(lambda: store.path_of(fax.source_path).read_bytes()) == documents.fax_tiff(3, (204, 98))
    stack.run(fax_jobs.deliver_received)
    stack.run(mail_jobs.deliver_due)
    (mail,) = wait_for(lambda: [r.parsed for r in stack.sink.received])
    assert mail["To"] == "erika.muster@kunde.example"
    assert mail["Subject"].startswith("Fax von Kanzlei Südwind") and "3 Seite(n)" in mail["Subject"]
    assert "+49 89 7654321 (Kanzlei Südwind)" in mail.get_body(("plain",)).get_content()
    assert "KANZLEI MUC" in mail.get_body(("plain",)).get_content()
    pdf = pdf_of(mail)
    assert len(pdf.pages) == 3
    page = pdf.pages[0]
    assert abs(float(page.mediabox.height) / float(page.mediabox.width) - 297 / 215) < 0.01  # not squashed


def test_a_fax_to_a_number_nobody_owns_goes_to_the_admins_flagged(stack):
    assert stack.gateway.hand_in(called="030 55507", calling="0301234", station="",
                                 document=documents.fax_tiff(1)).status_code == 201
    (fax,) = received(stack)
    assert fax.flagged and fax.phone_user_id is None and fax.pbx_id is not None
    stack.run(fax_jobs.deliver_received)
    stack.run(mail_jobs.deliver_due)
    (mail,) = wait_for(lambda: [r.parsed for r in stack.sink.received])
    assert mail["To"] == "admin@kunde.example"
    assert mail["Subject"].startswith("[nicht zugeordnete Nummer]")
    assert "+49 30 55507" in mail.get_body(("plain",)).get_content()


def test_the_gateway_is_refused_without_its_token_and_bad_input_is_a_clear_422(stack):
    import requests
    url = f"{stack.gateway.base_url}/api/v1/fax/received"
    assert requests.post(url, files={"document": ("f.tif", documents.fax_tiff(1))}, timeout=10).status_code == 401
    answer = stack.gateway.hand_in(called="+4930555099", calling="1", station="", document=b"hello")
    assert answer.status_code == 422 and "document" in answer.json()["fields"]
    assert received(stack) == []


def test_smtp_down_while_faxes_arrive_all_are_mailed_after_recovery_none_twice(stack):
    stack.sink.stop()
    for n in range(3):
        assert stack.gateway.hand_in(called="+4930555099", calling=f"+4989765432{n}", station="",
                                     document=documents.fax_tiff(1)).status_code == 201
    stack.run(fax_jobs.deliver_received)
    report = stack.run(mail_jobs.deliver_due)
    assert report.sent == 0 and report.deferred == 3
    assert {f.state for f in received(stack)} == {FaxState.DELIVERED}
    stack.sink.start()
    try:
        clock.set_now(clock.now() + timedelta(hours=2))
        stack.run(fax_jobs.deliver_received)        # a second run of every job changes nothing
        stack.run(mail_jobs.deliver_due)
        stack.run(mail_jobs.deliver_due)
    finally:
        clock.set_now(None)
    wait_for(lambda: len(stack.sink.received) >= 3)
    callers = sorted(m.parsed["Subject"].split(" – ")[0] for m in stack.sink.received)
    assert callers == [f"Fax von +49 89 765432{n}" for n in range(3)]


def test_a_received_pdf_is_mailed_as_it_came(stack):
    pdf = documents.letter_pdf(2)
    assert stack.gateway.hand_in(called="+4930555099", calling="+49897654321", station="",
                                 document=pdf, filename="fax.pdf").status_code == 201
    stack.run(fax_jobs.deliver_received)
    stack.run(mail_jobs.deliver_due)
    (mail,) = wait_for(lambda: [r.parsed for r in stack.sink.received])
    assert len(pdf_of(mail).pages) == 2 and "2 Seite(n)" in mail["Subject"]


def test_a_fax_that_cannot_be_converted_is_kept_retried_and_staff_are_told(stack):
    broken = b"II*\x00" + b"\x00" * 200   # a TIFF header and nothing readable after it
    assert stack.gateway.hand_in(called="+4930555099", calling="1", station="", document=broken).status_code == 201
    try:
        for _ in range(5):
            stack.run(fax_jobs.deliver_received)
            clock.set_now(clock.now() + timedelta(hours=1))
        stack.run(mail_jobs.deliver_due)
    finally:
        clock.set_now(None)
    (fax,) = received(stack)
    assert fax.state is FaxState.FAILED and fax.attempts == 5
    assert stack.run(lambda: store.path_of(fax.source_path).read_bytes()) == broken
    (mail,) = wait_for(lambda: [r.parsed for r in stack.sink.received])
    assert mail["To"] == "betrieb@stimme.local" and "konnte nicht umgewandelt werden" in mail["Subject"]

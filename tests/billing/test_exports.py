"""What a reseller receives on finalising: CSV and PDF in its language, with the same totals."""
from __future__ import annotations

import csv
import email
import io
from datetime import date, datetime, timezone
from email import policy

from pypdf import PdfReader
from sqlalchemy import select

from console.accounts.models import Package
from console.billing import services
from console.extensions import db
from console.incidents import services as incidents
from console.mail.content import attachments
from console.mail.models import OutboxMessage
from tests.incidents.factories import make_incident

UTC = timezone.utc


def _attachments(message: OutboxMessage) -> dict[str, bytes]:
    parsed = email.message_from_bytes(message.raw, policy=policy.default)
    return {found.filename.rsplit(".", 1)[1]: found.data for found in attachments(parsed)}


def _finalise_november(customer, freeze, staff_actor):
    incident = make_incident(customer)
    incidents.add_time(incident, staff_actor, minutes=45, on_site=True, worked_on=date(2026, 11, 12))
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    services.finalise(services.draft(2026, 11), "staff")
    return incident


def _mail_to(address: str) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == address,
                                                         OutboxMessage.key.like("billing:%")))


def test_a_german_reseller_gets_csv_and_pdf_with_german_numbers_and_the_same_totals(
        november_customer, freeze, staff_actor):
    incident = _finalise_november(november_customer, freeze, staff_actor)
    files = _attachments(_mail_to(november_customer.reseller.notice_email))
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Monat", "Reseller", "Kunde"]
    onsite = next(r for r in rows if r[-2] == incident.number)
    assert onsite[6:9] == ["45 Min.", "96,00", "72,00"] and onsite[-1] == "12.11.2026"
    totals = {r[5]: r[8] for r in rows[-3:]}
    assert totals == {"Netto": "122,00", "MwSt. 19 %": "23,18", "Brutto": "145,18"}
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    for label, amount in totals.items():
        assert label in text and amount in text
    assert "Abrechnung 2026-11" in text


def test_an_english_reseller_reads_commas_and_dots_the_english_way(
        make_reseller, make_customer, make_user, price_list, freeze, staff_actor):
    freeze(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    customer = make_customer(make_reseller(language="en"))
    for _ in range(80):
        make_user(customer, package=Package.VOLLE)
    _finalise_november(customer, freeze, staff_actor)
    files = _attachments(_mail_to(customer.reseller.notice_email))
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][:3] == ["Month", "Reseller", "Customer"]
    totals = {r[5]: r[8] for r in rows[-3:]}
    assert totals == {"Net": "1,292.00", "VAT 19 %": "245.48", "Gross": "1,537.48"}  # 80 × 15 + 20 + 72
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert all(amount in text for amount in totals.values())


def test_staff_get_the_whole_month_and_finalising_queues_each_mail_once(
        november_customer, make_customer, make_user, freeze, staff_actor, app):
    freeze(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    other = make_customer()
    make_user(other)
    _finalise_november(november_customer, freeze, staff_actor)
    staff = _mail_to(app.extensions["settings"].mail_staff_to)
    rows = list(csv.reader(io.StringIO(_attachments(staff)["csv"].decode("utf-8-sig")), delimiter=";"))
    assert {r[1] for r in rows[1:-3]} == {november_customer.reseller.name, other.reseller.name}
    keys = db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("billing:%"))).all()
    assert sorted(keys) == sorted([f"billing:2026-11:reseller:{november_customer.reseller.id}",
                                   f"billing:2026-11:reseller:{other.reseller.id}", "billing:2026-11:staff"])

"""A fault report by e-mail: stored first (console.mail), becomes an unqualified incident, and the reply with the
link to complete it reaches the sender through a real SMTP server on loopback."""
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Channel, Incident
from console.mail import inbound
from console.mail.delivery import deliver_due
from console.mail.models import InboundMessage, InboundState
from tests.conftest import berlin


@pytest.fixture
def mailbox(configure):
    configure(inbound_domains="stimme.test", inbound_addresses="stoerung=incidents", base_url="https://konsole.test")


def _mail(sender: str, subject="Telefonanlage klingelt nicht", body="Seit heute früh keine Anrufe.",
          attachment: tuple | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = f"Partner <{sender}>", "stoerung@stimme.test", subject
    m.set_content(body)
    if attachment:
        m.add_attachment(attachment[2], maintype=attachment[1].split("/")[0], subtype=attachment[1].split("/")[1],
                         filename=attachment[0])
    return m.as_bytes()


def _receive(sender: str, **kw) -> InboundMessage:
    [message_id] = inbound.store(sender, ["stoerung@stimme.test"], _mail(sender, **kw), peer="127.0.0.1")
    assert inbound.dispatch(message_id)
    return db.session.get(InboundMessage, message_id)


def test_a_mailed_report_is_unqualified_and_the_reply_links_to_completing_it(mailbox, smtp_sink, make_customer,
                                                                             make_login, freeze):
    freeze(berlin(2026, 11, 28, 22, 15))   # Saturday night
    customer = make_customer(name="Mail-Kunde GmbH")
    make_login(Role.RESELLER, email="noc@partner.example", reseller=customer.reseller)
    stored = _receive("noc@partner.example", attachment=("trace.pcap", "application/vnd.tcpdump.pcap", b"\xd4\xc3"))

    assert stored.state is InboundState.HANDLED
    incident = db.session.scalar(select(Incident))
    assert incident.channel is Channel.MAIL and not incident.qualified
    assert incident.title == "Telefonanlage klingelt nicht" and "keine Anrufe" in incident.description
    assert "customer_id" in incident.missing_fields and "example_calls" in incident.missing_fields
    assert incident.reseller_id == customer.reseller_id

    assert str(deliver_due()) == "1 sent, 0 deferred, 0 failed"
    [received] = smtp_sink.received
    assert received.rcpt_tos == ["noc@partner.example"]
    text = received.parsed.get_body(("plain",)).get_content()
    assert f"https://konsole.test/incidents/{incident.id}/complete" in text
    assert incident.number in received.parsed["Subject"]
    assert "30.11.26, 08:00" in text   # outside service hours: work starts Monday 08:00 (German, the login's language)


def test_the_same_message_handled_twice_gives_one_incident(mailbox, make_customer):
    customer = make_customer()
    stored = _receive(customer.reseller.notice_email)
    stored.state = InboundState.RETRY
    db.session.flush()
    from console.incidents.mail import handle_inbound
    handle_inbound(stored)
    assert db.session.scalar(select(func.count(Incident.id))) == 1


def test_an_unknown_sender_gets_told_how_to_report(mailbox, smtp_sink):
    _receive("fremd@example.org")
    assert db.session.scalar(select(func.count(Incident.id))) == 0
    assert str(deliver_due()) == "1 sent, 0 deferred, 0 failed"
    assert smtp_sink.received[0].rcpt_tos == ["fremd@example.org"]


def test_the_reseller_completes_a_mailed_report_through_the_link(mailbox, make_customer, make_login, signed_in):
    from tests.incidents.test_reports import _form
    customer = make_customer(name="Nachtrag GmbH")
    login = make_login(Role.RESELLER, email="noc@nachtrag.example", reseller=customer.reseller, language="en")
    _receive("noc@nachtrag.example")
    incident = db.session.scalar(select(Incident))
    browser = signed_in(login)
    page = browser.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "This report is not complete yet" in page and f"/incidents/{incident.id}/complete" in page
    half = browser.post(f"/incidents/{incident.id}/complete", {"title": incident.title, "customer_id": customer.id})
    assert half.status_code == 200 and "Category is missing" in half.get_data(as_text=True)
    done = browser.post(f"/incidents/{incident.id}/complete", _form(customer, title=incident.title))
    assert done.status_code == 303
    assert incident.qualified and incident.missing_fields == [] and incident.customer_id == customer.id

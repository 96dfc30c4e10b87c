"""A fault report by e-mail: stored first (console.mail), becomes an unqualified incident, and the reply with the
link to complete it reaches the sender through a real SMTP server on loopback."""
import email
import email.policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Channel, Incident
from console.mail import inbound
from console.mail import jobs as mail_jobs
from console.mail.jobs import deliver_due
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
    assert mail_jobs.dispatch(message_id)
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
    assert "30.11.2026, 08:00" in text   # outside service hours: work starts Monday 08:00 (German, the login's language)


def test_the_same_message_handled_twice_gives_one_incident(mailbox, make_customer):
    customer = make_customer()
    stored = _receive(customer.reseller.notice_email)
    stored.state = InboundState.RETRY
    db.session.flush()
    from console.incidents.mail import handle_inbound
    handle_inbound(stored)
    assert db.session.scalar(select(func.count(Incident.id))) == 1


def test_an_unknown_sender_is_kept_for_staff_and_gets_no_reply(mailbox, smtp_sink):
    stored = _receive("fremd@example.org")
    assert stored.state is InboundState.HELD and stored.outcome == "unregistered"
    assert db.session.scalar(select(func.count(Incident.id))) == 0
    assert str(deliver_due()) == "0 sent, 0 deferred, 0 failed"  # no backscatter
    assert smtp_sink.received == []


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


# --- staff and held mail -----------------------------------------------------------------------------------

CHECKED = ("Authentication-Results: mx.stimme.test; spf=pass smtp.mailfrom=baeckerei.example;\r\n"
           " dkim=pass header.d=baeckerei.example; dmarc=pass header.from=baeckerei.example\r\n")


def _store_raw(raw: bytes, mail_from: str = "chef@baeckerei.example") -> InboundMessage:
    [message_id] = inbound.store(mail_from, ["stoerung@stimme.test"], raw, peer="127.0.0.1")
    assert mail_jobs.dispatch(message_id)
    return db.session.get(InboundMessage, message_id)


def test_staff_see_the_sender_check_and_file_a_held_mail_for_the_customer(mailbox, smtp_sink, make_customer,
                                                                          make_login, signed_in):
    customer = make_customer(name="Bäckerei Korn", contact_email="chef@baeckerei.example")
    raw = (CHECKED + "From: Chef <chef@baeckerei.example>\r\nTo: stoerung@stimme.test\r\n"
           "Subject: Kasse ruft nicht an\r\nMessage-ID: <k1@baeckerei.example>\r\n\r\nSeit heute.\r\n").encode()
    held = _store_raw(raw)
    assert (held.state, held.outcome) == (InboundState.HELD, "unregistered")  # a customer contact is no reseller
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    page = staff.get(f"/mail/inbound/{held.id}").get_data(as_text=True)
    assert "waiting for staff" in page and "not registered for a reseller" in page
    assert "DMARC pass" in page and "as found by mx.stimme.test" in page
    assert f'value="customer-{customer.id}" selected' in page  # suggested from the customer's contact address

    filed = staff.post(f"/mail/inbound/{held.id}/assign", {"target": f"customer-{customer.id}"})
    incident = db.session.scalar(select(Incident))
    assert filed.status_code == 303 and filed.headers["Location"].endswith(f"/incidents/{incident.id}")
    assert incident.reseller_id == customer.reseller_id and incident.customer_id == customer.id
    assert incident.reporter_email == customer.reseller.notice_email and incident.title == "Kasse ruft nicht an"
    assert held.state is InboundState.HANDLED and held.outcome == "assigned"
    again = staff.post(f"/mail/inbound/{held.id}/assign", {"target": f"customer-{customer.id}"})
    assert again.status_code == 303 and db.session.scalar(select(func.count(Incident.id))) == 1

    report = staff.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Sender check" in report and "DMARC pass" in report and "Filed by staff" in report
    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    assert "Sender check" not in reseller.get(f"/incidents/{incident.id}").get_data(as_text=True)

    deliver_due()
    (ack,) = smtp_sink.received  # to the reseller's registered address, never to the unverified sender
    assert ack.rcpt_tos == [customer.reseller.notice_email]
    assert ack.parsed["Auto-Submitted"] == "auto-generated" and ack.parsed["In-Reply-To"] is None


def test_staff_set_a_held_mail_aside(mailbox, smtp_sink, make_login, signed_in):
    held = _store_raw(b"From: werbung@spam.example\r\nSubject: Angebot\r\n\r\nKaufen!\r\n", "werbung@spam.example")
    staff = signed_in(make_login(Role.STAFF_SUPPORT, language="en"))
    assert staff.post(f"/mail/inbound/{held.id}/set-aside").status_code == 303
    assert (held.state, held.outcome) == (InboundState.HANDLED, "set_aside")
    assert "Set aside by staff" in staff.get(f"/mail/inbound/{held.id}").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Incident.id))) == 0 and smtp_sink.received == []


# --- whatever the mail looks like --------------------------------------------------------------------------

FORWARDED = (b"From: kunde@example.org\r\nSubject: =?utf-8?q?St=C3=B6rung_seit_Montag?=\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n\r\nBei uns geht nichts.\r\n")
HOSTILE = (b"From: Partner <noc@partner.example>\r\nTo: stoerung@stimme.test\r\n"
           b"Subject: =?x-unknown?q?Anlage_tot?=\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b'--b\r\nContent-Type: text/html; charset="x-unknown"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
           b"<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
           b"<p>Keine Anrufe&nbsp;m\xf6glich</p><p>Seit 8\x00 Uhr\x1b[31m</p></body></html>\r\n"
           b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + FORWARDED +
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fpass%00wd%0D%0A.txt\r\n\r\n"
           b"log line\r\n--b--\r\n")


def test_a_mail_in_an_unknown_charset_with_html_and_a_forwarded_mail_is_filed_readably(
        mailbox, make_customer, make_login, signed_in):
    customer = make_customer()
    make_login(Role.RESELLER, email="noc@partner.example", reseller=customer.reseller)
    stored = _store_raw(HOSTILE, "noc@partner.example")  # before, the handler failed here, for ever
    assert stored.state is InboundState.HANDLED
    incident = db.session.scalar(select(Incident))
    assert incident.title == "Anlage tot"
    assert incident.description.startswith("Keine Anrufe m\ufffdglich")  # what could not be decoded is marked
    assert "Seit 8 Uhr[31m" in incident.description
    assert not any(s in incident.description for s in ("<p>", "alert", "color", "\x00", "\x1b"))

    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    page = reseller.get(f"/incidents/{incident.id}").get_data(as_text=True)
    from console.incidents.models import IncidentAttachment
    files = {a.filename: a for a in db.session.scalars(select(IncidentAttachment))}
    assert set(files) == {"Störung seit Montag.eml", "passwd.txt"}
    for attachment in files.values():
        download = reseller.get(f"/incidents/{incident.id}/attachments/{attachment.id}")
        assert download.status_code == 200 and attachment.filename in page
    forwarded = email.message_from_bytes(files["Störung seit Montag.eml"].data, policy=email.policy.default)
    assert forwarded["Subject"] == "Störung seit Montag" and "Bei uns geht nichts." in forwarded.get_content()

    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    shown = staff.get(f"/mail/inbound/{stored.id}")
    assert shown.status_code == 200 and "passwd.txt" in shown.get_data(as_text=True)
    numbers = [n for n, part in enumerate(stored.parsed.walk()) if not part.is_multipart()]
    assert all(staff.get(f"/mail/inbound/{stored.id}/part?n={n}").status_code == 200 for n in numbers[1:])


def test_a_held_mail_is_filed_once_staff_register_its_sender_and_retry(mailbox, make_customer, make_login,
                                                                       signed_in):
    customer = make_customer()
    held = _receive("neu@partner.example")
    assert held.state is InboundState.HELD
    staff = signed_in(make_login(Role.STAFF_ADMIN))  # German, the default
    page = staff.get(f"/mail/inbound/{held.id}").get_data(as_text=True)
    assert "wartet auf das Team" in page and "Absenderprüfung" in page and "Meldung erfassen" in page
    make_login(Role.RESELLER, email="neu@partner.example", reseller=customer.reseller)
    assert staff.post(f"/mail/inbound/{held.id}/retry").status_code == 303
    assert mail_jobs.dispatch_due() == 1
    assert held.state is InboundState.HANDLED and held.outcome == "filed"
    assert db.session.scalar(select(Incident.reseller_id)) == customer.reseller_id

"""Who may file a fault report by mail, and who gets an automatic answer — tested as a stranger with an SMTP
client would: smtplib against the console's own inbound server (aiosmtpd), answers delivered to a second real
SMTP server and read as received."""
from __future__ import annotations

import email.policy
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from console.auth.models import Login, Role
from console.extensions import db
from console.incidents.models import Incident
from console.mail.jobs import deliver_due
from console.mail.models import InboundMessage, InboundState, OutboxMessage
from tests.mail.servers import ControllableSMTP, inbound_server, wait_for

pytestmark = pytest.mark.no_db
MX = "mx.stimme.test"  # the receiving MTA in front of the console (INBOUND_AUTHSERV_ID)


@dataclass
class World:
    app: object
    port: int
    outgoing: ControllableSMTP

    def send(self, m: EmailMessage, mail_from: str | None = None, rcpts: list[str] | None = None,
             raw_from: str | None = None) -> InboundMessage:
        """Send one message with smtplib and wait until its handler is done (one at a time: what matters here
        is who sent it). Returns the stored message."""
        before = len(self.rows())
        raw = m.as_bytes(policy=email.policy.SMTP)
        if raw_from is not None:
            raw = raw.replace(f"From: {m['From']}\r\n".encode(), f"From: {raw_from}\r\n".encode(), 1)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail("partner@relay.example" if mail_from is None else mail_from,
                            rcpts or ["stoerung@stimme.test"], raw)
        return wait_for(lambda: [r for r in self.rows()[before:] if r.state.value in ("handled", "held")])[-1]

    def rows(self) -> list[InboundMessage]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))
            db.session.expunge_all()
            return rows

    def incidents(self) -> list[Incident]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(Incident).order_by(Incident.id)))
            for r in rows:
                r.reseller.name  # noqa: B018  loaded for the assertions after the session closes
            db.session.expunge_all()
            return rows

    def delivered(self):
        """Deliver the outbox to the outgoing SMTP server; what it received."""
        with self.app.app_context():
            deliver_due()
        return self.outgoing.received


@pytest.fixture
def world(database_url, tmp_path):
    """The inbound server, an outgoing SMTP server, and reseller "Partner Nord": notice address
    noc@partner.example, reseller login technik@partner.example."""
    outgoing = ControllableSMTP()
    outgoing.start()
    with inbound_server(database_url, tmp_path, "mail_senders", inbound_domains="stimme.test",
                        inbound_addresses="stoerung=incidents", inbound_authserv_id=MX,
                        smtp_url=outgoing.url, base_url="https://konsole.test") as (app, port):
        with app.app_context():
            from console.accounts import services as accounts
            from console.auth.services import save_login
            reseller = accounts.save_reseller(None, name="Partner Nord", notice_email="noc@partner.example")
            save_login(Login(role=Role.STAFF_ADMIN, email="x", name="x"), None, email="technik@partner.example",
                       name="Technik", role=Role.RESELLER, reseller=reseller, password="long enough password")
            db.session.commit()
        yield World(app, port, outgoing)
    outgoing.stop()


def mail(sender: str, subject: str = "Anlage klingelt nicht", body: str = "Seit 8 Uhr keine Anrufe.",
         to: str = "stoerung@stimme.test", **headers) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = make_msgid(domain="partner.example")
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m


def test_reply_to_never_decides_who_reports(world):
    # a stranger naming the reseller's login in Reply-To files nothing, and nobody hears of it
    stranger = world.send(mail("Fremd <stranger@evil.example>", subject="Bitte anrufen: 0900 123",
                               Reply_To="technik@partner.example"))
    # the real reseller with a foreign Reply-To files its report, answered at its registered address
    real = world.send(mail("Technik <technik@partner.example>", Reply_To="irgendwer@elsewhere.example"))
    (incident,) = world.incidents()
    assert incident.reseller.name == "Partner Nord" and incident.reporter_email == "technik@partner.example"
    assert incident.inbound_message_id == real.id
    assert (stranger.state.value, stranger.outcome) == ("held", "unregistered")
    assert (real.state.value, real.outcome) == ("handled", "filed")
    (answer,) = world.delivered()
    assert answer.rcpt_tos == ["technik@partner.example"]
    assert "0900" not in answer.parsed["Subject"]


def test_an_address_at_the_resellers_domain_is_not_enough(world):
    domain_only = world.send(mail("Chef <chef@partner.example>"))
    notice = world.send(mail("NOC <noc@partner.example>", subject="Über die Notice-Adresse"))
    assert (domain_only.state, domain_only.outcome) == (InboundState.HELD, "unregistered")
    assert notice.outcome == "filed"
    assert [i.title for i in world.incidents()] == ["Über die Notice-Adresse"]
    assert [r.rcpt_tos for r in world.delivered()] == [["noc@partner.example"]]


def test_a_forged_from_found_by_the_receiving_mta_is_kept_for_staff(world):
    forged = mail("technik@partner.example", subject="Gefälscht")
    # the MTA's own header on top; below it one the sender wrote, claiming a pass from another server
    forged["Authentication-Results"] = (f"{MX}; spf=fail smtp.mailfrom=evil.example; dkim=none; "
                                        "dmarc=fail (p=reject) header.from=partner.example")
    forged["Authentication-Results"] = "mx.evil.example; dmarc=pass header.from=partner.example"
    held = world.send(forged)
    genuine = mail("technik@partner.example", subject="Echt")
    genuine["Authentication-Results"] = "mx.evil.example; dmarc=fail header.from=partner.example"  # not the MX's
    genuine["Authentication-Results"] = (f"{MX}; spf=pass smtp.mailfrom=partner.example; "
                                         "dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example")
    filed = world.send(genuine)
    assert (held.state, held.outcome) == (InboundState.HELD, "forged")
    assert held.auth_results["authserv_id"] == MX
    assert {r["method"]: r["result"] for r in held.auth_results["results"]} == {"spf": "fail", "dkim": "none",
                                                                               "dmarc": "fail"}
    assert filed.outcome == "filed"
    assert {r["method"]: r["result"] for r in filed.auth_results["results"]} == {"spf": "pass", "dkim": "pass",
                                                                               "dmarc": "pass"}
    assert [i.title for i in world.incidents()] == ["Echt"]
    assert len(world.delivered()) == 1  # only the genuine one is answered


def test_one_message_is_one_report_whatever_its_recipients(world):
    spellings = ["stoerung@stimme.test", "STOERUNG@stimme.test", "Stoerung@Stimme.Test", "stoerung@STIMME.TEST",
                 "sToErUnG@stimme.test", "STOERUNG@STIMME.TEST", "stoerunG@stimme.tesT"]
    m = mail("technik@partner.example", to=", ".join(spellings))
    first = world.send(m, rcpts=spellings)
    again = world.send(m, rcpts=spellings[:1])  # the same message again, e.g. from an MTA that splits recipients
    assert first.outcome == "filed" and again.outcome == "duplicate"
    assert len(world.rows()) == 2 and len(world.incidents()) == 1
    assert len(world.delivered()) == 1


@pytest.mark.parametrize("kind, headers, outcome", [
    ("null sender", {}, "bounce"),
    ("out of office", {"Auto_Submitted": "auto-replied"}, "auto_reply"),
    ("monitoring", {"Auto_Submitted": "auto-generated"}, "filed_quietly"),
    ("bulk", {"Precedence": "bulk"}, "filed_quietly"),
    ("list", {"Precedence": "list"}, "filed_quietly"),
    ("mailing list", {"List_Id": "<noc.partner.example>"}, "filed_quietly"),
])
def test_automatic_mail_is_never_answered(world, kind, headers, outcome):
    row = world.send(mail("technik@partner.example", **headers), mail_from="" if kind == "null sender" else None)
    assert row.outcome == outcome
    assert len(world.incidents()) == (1 if outcome == "filed_quietly" else 0)
    assert world.delivered() == []


@pytest.mark.parametrize("sender", ["technik@partner.example, stranger@evil.example", "technik(at)partner.example",
                                    "<>", "Technik <technik@partner.example"])
def test_a_malformed_from_is_kept_and_not_answered(world, sender):
    row = world.send(mail("placeholder@partner.example"), raw_from=sender)  # written as is, not re-rendered
    assert row.state is InboundState.HELD and row.outcome in ("no_sender", "unregistered")
    assert world.incidents() == [] and world.delivered() == []


def test_the_answer_is_marked_automatic_and_names_the_mail_it_answers(world):
    m = mail("technik@partner.example", References="<erste@partner.example>",
             In_Reply_To="<erste@partner.example>")
    world.send(m)
    (answer,) = world.delivered()
    received = answer.parsed
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["In-Reply-To"] == m["Message-ID"]
    assert received["References"].split() == ["<erste@partner.example>", m["Message-ID"]]

"""Fault reports by e-mail (through the inbound SMTP of console.mail).

A mail cannot enforce the fields of §7.9, so it becomes an *unqualified* incident; the acknowledgement carries
a link to complete it. The message is already stored by console.mail before this runs.

Who sent a mail is its From address — never Reply-To, which anybody may set to anything — and a mail files
into a reseller's account only when that address is registered for the reseller: one of its active reseller
logins, or its notice address. A matching domain is not enough. Everything else is held for staff, who file
it on a reseller's behalf or set it aside (console.mail.views): a From that is missing, malformed or lists
several addresses; an address nobody registered, or registered for two resellers; a bounce (MAIL FROM:<>) or
an out-of-office answer; and a mail whose From the receiving MTA found forged (a DMARC `fail`, see
console.mail.authresults) — kept rather than filed as the reseller, and never answered. The results are shown
to staff on the inbound message and on the report.

A mail is one report whatever its recipients: console.mail stores one row per handler, and the same
Message-ID from the same sender arriving again (an MTA that splits recipients) files nothing new.

The acknowledgement is an automatic answer (RFC 3834, console.mail.autoreply): it goes to the registered
address only, never to automatic or list mail (that is filed, but not answered).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from console import clock
from console.accounts.models import Customer, Reseller
from console.auth.models import Login, Role
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services
from console.incidents.models import Channel, Incident
from console.incidents.qualification import check_report
from console.mail import addresses, authresults, autoreply
from console.mail.addresses import MailAddress
from console.mail.content import attachments, body_text, clean_line
from console.mail.inbound import Outcome
from console.mail.models import InboundMessage, InboundState


def sender_of(message) -> MailAddress | None:
    """The one address of the one From header, or None."""
    values = message.get_all("From") or []
    if len(values) != 1 or addresses.header_defects(values[0]):
        return None
    try:
        return addresses.parse(str(values[0]))
    except Exception:  # InvalidAddress, or a header the parser chokes on
        return None


def registered_for(address: MailAddress) -> tuple[Reseller, Login | None] | None:
    """The reseller this exact address is registered for (a reseller login first, else a notice address), or
    None when it is nobody's — or more than one reseller's."""
    spellings = {address.key, address.envelope.lower()}
    login = db.session.scalar(select(Login).where(func.lower(Login.email).in_(spellings),
                                                  Login.role == Role.RESELLER, Login.active.is_(True)))
    if login is not None and login.reseller is not None:
        return login.reseller, login
    resellers = db.session.scalars(select(Reseller).where(func.lower(Reseller.notice_email).in_(spellings))
                                   .limit(2)).all()
    return (resellers[0], None) if len(resellers) == 1 else None


def handle_inbound(inbound: InboundMessage) -> Outcome:
    """File one stored message as an unqualified incident, or hold it for staff. Idempotent per message."""
    if _incident_of(inbound.id) is not None:
        return Outcome("filed")  # handled before (a retry after the commit failed): never a second incident
    message = inbound.parsed
    sender = sender_of(message)
    if sender is None:
        return Outcome("no_sender", held=True)
    if _duplicate_of(inbound, sender) is not None:
        return Outcome("duplicate")
    if autoreply.is_null_sender(inbound.mail_from):
        return Outcome("bounce", held=True)
    if autoreply.is_auto_reply(message):
        return Outcome("auto_reply", held=True)
    if authresults.forged(inbound.auth_results):
        return Outcome("forged", held=True)
    match = registered_for(sender)
    if match is None:
        return Outcome("unregistered", held=True)
    reseller, login = match
    answer = autoreply.refusal(inbound.mail_from, message, sender.addr_spec) is None
    file_message(inbound, reseller, actor=login, reporter_email=sender.addr_spec, acknowledge=answer,
         language=login.language if login else reseller.language)
    return Outcome("filed" if answer else "filed_quietly")


def file_message(inbound: InboundMessage, reseller: Reseller, *, actor: Login | None, reporter_email: str,
         acknowledge: bool, language: str, customer: Customer | None = None) -> Incident:
    """The incident for a stored message: subject and text (decoded whatever the charset, HTML as text), and
    its attachments (a forwarded message as an .eml file); refused attachments are named in a note."""
    message = inbound.parsed
    try:
        subject = clean_line(str(message.get("Subject") or ""))[:200]
    except Exception:  # a header the parser cannot even turn into text
        subject = ""
    checked = check_report({"title": subject, "description": body_text(message)}, customer)
    incident = services.file_report(reseller, checked, channel=Channel.MAIL, actor=actor,
                                    reporter_email=reporter_email, language=language, inbound_message_id=inbound.id,
                                    acknowledge=acknowledge, attachments=attachments(message))
    return incident


def _incident_of(inbound_id: int) -> Incident | None:
    return db.session.scalar(select(Incident).where(Incident.inbound_message_id == inbound_id))


def _duplicate_of(inbound: InboundMessage, sender: MailAddress) -> Incident | None:
    """The incident already filed for the same message (same Message-ID, same sender) received earlier."""
    if not inbound.message_id:
        return None
    return db.session.scalar(
        select(Incident).join(InboundMessage, Incident.inbound_message_id == InboundMessage.id)
        .where(InboundMessage.message_id == inbound.message_id, InboundMessage.id != inbound.id,
               func.lower(Incident.reporter_email) == sender.key).limit(1))


def incident_for(inbound: InboundMessage) -> Incident | None:
    """The report a message was filed as (or, for a duplicate, the report filed for its first copy)."""
    found = _incident_of(inbound.id)
    if found is None and inbound.outcome == "duplicate":
        sender = sender_of(inbound.parsed)
        found = _duplicate_of(inbound, sender) if sender else None
    return found


def result_link(inbound: InboundMessage) -> tuple[str, str] | None:
    """(text, address) of the report a message became, for the inbound page (console.mail.views)."""
    incident = incident_for(inbound)
    if incident is None:
        return None
    return f"{incident.number} · {incident.title}", url_for("incidents.detail", incident_id=incident.id)


# --- staff act on a held message (console.mail.views, through console.mail.inbound.INBOUND_ASSIGNERS) ---------

@dataclass(frozen=True)
class AssignChoices:
    label: object                                 # what the choice is called on the form
    groups: list[tuple[str, list[tuple[str, str]]]]  # (reseller name, [(value, text)])
    suggested: str | None                          # the value preselected, from the sender's address


def assign_choices(inbound: InboundMessage) -> AssignChoices:
    """Every reseller (its report without a customer yet) and each of its customers; the one whose registered
    addresses (customer contact, customer admin, reseller login) match the sender is suggested."""
    groups = []
    for reseller in db.session.scalars(select(Reseller).order_by(Reseller.name)):
        options = [(f"reseller-{reseller.id}", str(_l("%(reseller)s (customer not known yet)",
                                                      reseller=reseller.name)))]
        options += [(f"customer-{c.id}", c.name) for c in reseller.customers]
        groups.append((reseller.name, options))
    return AssignChoices(_l("File as a fault report of"), groups, _suggestion(sender_of(inbound.parsed)))


def _suggestion(sender: MailAddress | None) -> str | None:
    if sender is None:
        return None
    spellings = {sender.key, sender.envelope.lower()}
    customer = db.session.scalar(select(Customer).where(func.lower(Customer.contact_email).in_(spellings)).limit(1))
    if customer is None:
        login = db.session.scalar(select(Login).where(func.lower(Login.email).in_(spellings)).limit(1))
        customer = login.customer if login is not None else None
        if customer is None and login is not None and login.reseller is not None:
            return f"reseller-{login.reseller.id}"
    return f"customer-{customer.id}" if customer is not None else None


def assign_inbound(inbound: InboundMessage, choice: str, actor: Login) -> Incident:
    """Staff file a held (or failed) message as a report of the chosen reseller, on its behalf. The
    acknowledgement goes to the reseller's notice address — registered, so no backscatter — not to the From."""
    if inbound.state not in (InboundState.HELD, InboundState.FAILED) or _incident_of(inbound.id) is not None:
        raise RuleViolation({"": _l("This message has been dealt with already.")})
    kind, _, raw_id = (choice or "").partition("-")
    target = None
    if raw_id.isdecimal() and len(raw_id) < 19:
        target = db.session.get(Customer if kind == "customer" else Reseller, int(raw_id)) \
            if kind in ("customer", "reseller") else None
    if target is None:
        raise RuleViolation(target=_l("Choose a reseller or customer from the list."))
    customer = target if isinstance(target, Customer) else None
    reseller = customer.reseller if customer else target
    if customer is not None and customer.pbx is None:
        customer = None  # a customer without a PBX cannot be named on a report yet; the reseller completes it
    incident = file_message(inbound, reseller, actor=actor, reporter_email=reseller.notice_email, acknowledge=True,
                    language=reseller.language, customer=customer)
    inbound.state, inbound.outcome, inbound.handled_by = InboundState.HANDLED, "assigned", actor.email[:300]
    inbound.handled_at, inbound.next_attempt_at, inbound.last_error = clock.now(), None, None
    db.session.flush()
    return incident

"""Fault reports by e-mail (through the inbound SMTP of console.mail).

A mail cannot enforce the fields of §7.9, so it becomes an *unqualified* incident; the acknowledgement carries
a link to complete it. The sender must be a reseller (its notice address or a reseller login's address);
anyone else gets a reply saying how to report. The message is already stored by console.mail before this runs.
"""
from __future__ import annotations

from email.utils import parseaddr

from sqlalchemy import func, select

from console.accounts.models import Reseller
from console.auth.models import Login, Role
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services
from console.incidents.models import Channel, Incident
from console.incidents.qualification import check_report
from console.mail.outbox import queue_mail


def _sender(address: str) -> tuple[Reseller | None, Login | None]:
    login = db.session.scalar(select(Login).where(func.lower(Login.email) == address, Login.role == Role.RESELLER,
                                                  Login.active.is_(True)))
    if login is not None:
        return login.reseller, login
    return db.session.scalar(select(Reseller).where(func.lower(Reseller.notice_email) == address)), None


def _body_text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content().strip() if part is not None else ""


def handle_inbound(inbound) -> None:
    """Turn one stored inbound message into an unqualified incident and acknowledge it. Idempotent per message."""
    message = inbound.parsed
    address = (parseaddr(str(message.get("Reply-To") or message.get("From") or ""))[1]
               or inbound.mail_from).strip().lower()
    reseller, login = _sender(address)
    if reseller is None:
        queue_mail(key=f"incident-mail-{inbound.id}-unknown-sender", to=address, template="incidents/unknown_sender",
                   context={"subject": str(message.get("Subject") or "")}, language="de")
        return
    if db.session.scalar(select(Incident.id).where(Incident.inbound_message_id == inbound.id)) is not None:
        return  # handled before (a retry after the commit failed): never a second incident
    subject = " ".join(str(message.get("Subject") or "").split())[:200]
    checked = check_report(reseller, {"title": subject, "description": _body_text(message)})
    incident = services.file_report(reseller, checked, channel=Channel.MAIL, actor=login, reporter_email=address,
                                    language=login.language if login else reseller.language,
                                    inbound_message_id=inbound.id)
    refused = []
    for part in message.iter_attachments():
        try:
            services.add_attachment(incident, part.get_filename() or "attachment", part.get_content_type(),
                                    part.get_payload(decode=True) or b"")
        except RuleViolation as exc:
            refused.extend(str(text) for text in exc.errors.values())
    if refused:
        services.add_note(incident, "\n".join(refused), None)
    db.session.flush()

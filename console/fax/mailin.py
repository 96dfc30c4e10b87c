"""E-mail to fax: `<number>@<FAX_DOMAIN>` on the console's inbound SMTP.

Decided at RCPT time, with a clear reply, so the server is never an open relay: the envelope sender must be the
registered address of a Volle user with a fax number (the sending number is theirs, so their customer owns it),
and the recipient's local part a valid phone number. The message is then stored (console.mail.inbound) and
handed to `handle_inbound`, which records the receiving MTA's SPF/DKIM/DMARC results, holds forged mail for
staff, and takes exactly one PDF: anything else is a failure report ("one PDF per fax"), never silence.
"""
from __future__ import annotations

import email
from email.utils import getaddresses, parseaddr

from flask import current_app

from console import clock
from console.extensions import db
from console.fax import numbers, reports, store
from console.fax.models import Direction, Fax, FaxState
from console.mail import authresults, content
from console.mail.content import clean_line
from console.mail.inbound import Outcome


def is_fax_address(address: str) -> bool:
    domain = (parseaddr(address)[1] or address).rpartition("@")[2].lower()
    fax_domain = current_app.extensions["settings"].fax_domain.strip().lower()
    return bool(fax_domain) and domain == fax_domain


def check_recipient(mail_from: str | None, address: str) -> str | None:
    """None to accept; else the SMTP reply that refuses this recipient."""
    sender = numbers.sender_for(mail_from)
    if sender is None:
        return (f"550 5.7.1 <{clean_line(mail_from or '')[:100]}> may not send faxes here: only the registered "
                f"address of a user with a personal fax number can")
    local = (parseaddr(address)[1] or address).rpartition("@")[0]
    if numbers.destination(local, sender.pbx.country) is None:
        return (f"550 5.1.1 <{clean_line(address)[:120]}>: not a fax number; write it as "
                f"+49301234567@ or 0301234567@")
    return None


def _pdf_parts(message):
    pdfs, others = [], 0
    for part in message.iter_attachments():
        name = (part.get_filename() or "").lower()
        if part.get_content_type() == "application/pdf" or name.endswith(".pdf"):
            pdfs.append(part)
        elif part.get_content_maintype() == "image" and part.get_content_disposition() == "inline":
            continue   # a logo in the signature is no attachment
        else:
            others += 1
    return pdfs, others


def _text_of(message) -> str:
    try:
        part = message.get_body(("plain",))
        return part.get_content()[:5000] if part is not None else ""
    except Exception:   # an odd charset: the cover page goes without the text
        return ""


def handle_inbound(row) -> Outcome:
    """One stored mail to the fax domain: one outgoing fax per recipient number (flushes)."""
    sender = numbers.sender_for(row.mail_from)
    if sender is None:
        return Outcome("fax_unknown_sender", held=True)
    if authresults.forged(row.auth_results):
        return Outcome("fax_forged_sender", held=True)   # never answered: the report would be backscatter
    message = email.message_from_bytes(row.raw, policy=content.POLICY)
    subject = clean_line(str(message.get("Subject") or ""))[:200] or None
    pdfs, others = _pdf_parts(message)
    document = pdfs[0].get_content() if len(pdfs) == 1 and not others else None
    targets = []
    for _name, address in getaddresses([row.rcpt_to]):
        number = numbers.destination(address.rpartition("@")[0], sender.pbx.country)
        if number and number not in targets:
            targets.append(number)
    for number in targets:
        fax = Fax(direction=Direction.OUT, state=FaxState.RENDERING, pbx=sender.pbx, phone_user=sender,
                  local_number=sender.fax_number, remote_number=number, sender_email=row.mail_from[:320],
                  subject=subject, auth_results=row.auth_results, inbound_message_id=row.id,
                  created_at=clock.now(), next_attempt_at=clock.now())
        db.session.add(fax)
        db.session.flush()
        if document is None:
            fax.state, fax.failure_code, fax.finished_at = FaxState.FAILED, "one_pdf", clock.now()
            fax.failure_params = {"pdfs": len(pdfs), "others": others}
            reports.queue_report(fax)
            continue
        fax.source_path = store.write(f"out/{clock.now():%Y/%m}/{fax.id}.pdf", document)
        if numbers.settings_for(sender).cover_page:
            store.write(fax.source_path.rpartition(".")[0] + ".cover.pdf",
                        reports.cover_pdf(fax, sender, _text_of(message)))
    db.session.flush()
    return Outcome("fax_queued" if document is not None else "fax_refused_one_pdf")

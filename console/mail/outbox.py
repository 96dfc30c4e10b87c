"""Queue outgoing mail: render it now, store the exact bytes as a row in the caller's transaction.

The mail worker (console.mail.delivery) sends rows after the transaction commits, so a rolled-back
change never sends mail and a committed one is never forgotten.
"""
from __future__ import annotations

import email.policy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock
from console.errors import RuleViolation
from console.extensions import db
from console.mail.models import OutboxMessage, OutboxState


# CRLF line ends, as they go over the wire. Headers are folded only past 998 characters: Python 3.11's folder
# drops the space between two encoded words ("Köln – Überspannung" arrived as "Köln –Überspannung").
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str          # e.g. "text/calendar", "audio/wav", "application/pdf"
    data: bytes
    params: dict[str, str] | None = None   # extra MIME params, e.g. {"method": "PUBLISH"} for text/calendar


class MessageTooLarge(RuleViolation):
    """The rendered message is over MAIL_MAX_BYTES; nothing was queued."""

    def __init__(self, size: int, limit: int):
        self.size, self.limit = size, limit
        super().__init__(attachments=_l("The message is %(size)s, more than the limit of %(limit)s. "
                                        "Send smaller attachments.", size=_megabytes(size), limit=_megabytes(limit)))


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def queue_mail(*, key: str, to: str, template: str, context: dict, language: str = "de",
               attachments: Sequence[Attachment] = (), reply_to: str | None = None,
               headers: dict[str, str] | None = None) -> OutboxMessage:
    """Render templates/email/<template>.subject.txt, .txt and .html in `language`, build the message with a
    Message-ID derived from `key`, check the size limit, add the row to db.session and flush.

    The same key again returns the existing row and queues nothing."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    settings = current_app.extensions["settings"]
    message = build_message(key=key, to=to, template=template, context=context, language=language,
                            attachments=attachments, reply_to=reply_to, headers=headers)
    raw = message.as_bytes(policy=WIRE_POLICY)
    if len(raw) > settings.mail_max_bytes:
        raise MessageTooLarge(len(raw), settings.mail_max_bytes)
    row = OutboxMessage(key=key, template=template, recipient=to, subject=str(message["Subject"]),
                        message_id=message["Message-ID"], raw=raw, size=len(raw), state=OutboxState.QUEUED,
                        attempts=0, next_attempt_at=clock.now(), created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row


def build_message(*, key: str, to: str, template: str, context: dict, language: str,
                  attachments: Sequence[Attachment] = (), reply_to: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    settings = current_app.extensions["settings"]
    subject, text, html = _render(template, context, language)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = message_id_for(key, settings.mail_from)
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=attachment.filename, params=attachment.params or {})
    return message


def message_id_for(key: str, mail_from: str) -> str:
    """The same key always gives the same Message-ID, so a receiver can spot a duplicate."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "stimme.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _render(template: str, context: dict, language: str) -> tuple[str, str, str]:
    previous = g.get("locale")
    g.locale = language  # outside a request the locale selector reads g.locale
    try:
        with force_locale(language):
            subject = render_template(f"email/{template}.subject.txt", **context)
            text = render_template(f"email/{template}.txt", **context)
            html = render_template(f"email/{template}.html", **context)
    finally:
        if previous is None:
            g.pop("locale", None)
        else:
            g.locale = previous
    return " ".join(subject.split()), text, html


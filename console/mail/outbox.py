"""Queue outgoing mail: render it now, store the exact bytes as a row in the caller's transaction.

The mail worker (console.mail.delivery) sends rows after the transaction commits, so a rolled-back
change never sends mail and a committed one is never forgotten.
"""
from __future__ import annotations

import email.policy
import hashlib
import re
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
from console.mail import addresses
from console.mail.addresses import has_line_break_or_control
from console.mail.models import OutboxMessage, OutboxState


# CRLF line ends, as they go over the wire. Headers are folded only past 998 characters: Python 3.11's folder
# drops the space between two encoded words ("Köln – Überspannung" arrived as "Köln –Überspannung").
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)
# A recipient with a non-ASCII local part is sent with SMTPUTF8 (RFC 6531), its headers as UTF-8.
WIRE_POLICY_UTF8 = WIRE_POLICY.clone(utf8=True)
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # an RFC 2045 token: needs no quotes


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
               headers: dict[str, str] | None = None, field: str = "to", auto_submitted: str = "auto-generated",
               in_reply_to: str | None = None, references: str | None = None, topic: str | None = None,
               revision: int | None = None) -> OutboxMessage:
    """Render templates/email/<template>.subject.txt, .txt and .html in `language`, build the message with a
    Message-ID derived from `key`, check the size limit, add the row to db.session and flush.

    The same key again returns the existing row and queues nothing. An address that cannot be sent to, or a
    line break in a header, is refused here (InvalidAddress / RuleViolation naming `field`), so it never
    reaches the mail worker. `topic` and `revision` let the worker drop the message at send time once a newer
    revision of its topic exists (a maintenance window and its SEQUENCE)."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    settings = current_app.extensions["settings"]
    recipient = addresses.parse(to, field)
    message = build_message(key=key, to=recipient, template=template, context=context, language=language,
                            attachments=attachments, reply_to=reply_to, headers=headers, field=field,
                            auto_submitted=auto_submitted, in_reply_to=in_reply_to, references=references)
    raw = message.as_bytes(policy=WIRE_POLICY_UTF8 if recipient.smtputf8 else WIRE_POLICY)
    if len(raw) > settings.mail_max_bytes:
        raise MessageTooLarge(len(raw), settings.mail_max_bytes)
    row = OutboxMessage(key=key, template=template, recipient=to.strip(), subject=str(message["Subject"]),
                        message_id=message["Message-ID"], raw=raw, size=len(raw), state=OutboxState.QUEUED,
                        attempts=0, next_attempt_at=clock.now(), created_at=clock.now(), topic=topic,
                        revision=revision)
    db.session.add(row)
    db.session.flush()
    return row


def build_message(*, key: str, to: addresses.MailAddress, template: str, context: dict, language: str,
                  attachments: Sequence[Attachment] = (), reply_to: str | None = None,
                  headers: dict[str, str] | None = None, field: str = "to", auto_submitted: str = "auto-generated",
                  in_reply_to: str | None = None, references: str | None = None) -> EmailMessage:
    settings = current_app.extensions["settings"]
    extra = {"Auto-Submitted": auto_submitted, "X-Auto-Response-Suppress": "All",
             "In-Reply-To": in_reply_to, "References": references, **(headers or {})}
    for name, value in extra.items():
        if value is not None and has_line_break_or_control(f"{name}{value}"):
            raise RuleViolation({field: _l("A mail header cannot contain line breaks or control characters.")})
    subject, text, html = _render(template, context, language)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to.header()
    message["Subject"] = subject
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = message_id_for(key, settings.mail_from)
    if reply_to:
        message["Reply-To"] = addresses.parse(reply_to, "reply_to").header()
    for name, value in extra.items():
        if value is not None:
            message[name] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    for attachment in attachments:
        _attach(message, attachment)
    return message


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    """Add one attachment. A text attachment says its charset (UTF-8 unless given): without one, readers take
    it for ASCII and an ICS "Größere Wartung" arrives garbled. Token parameters are written unquoted
    (`text/calendar; charset=utf-8; method=PUBLISH`), as calendar clients expect."""
    maintype, _, subtype = attachment.content_type.partition("/")
    params = dict(attachment.params or {})
    if maintype == "text" and "charset" not in {k.lower() for k in params}:
        try:
            attachment.data.decode("utf-8")
            params = {"charset": "utf-8", **params}
        except UnicodeDecodeError:
            pass
    message.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=attachment.filename)
    part = message.get_payload()[-1]
    if any(has_line_break_or_control(k + v) or not (k + v).isascii() or not _TOKEN.fullmatch(k)
           for k, v in params.items()):
        raise ValueError(f"attachment parameters must be ASCII without line breaks: {params!r}")
    if params:  # written as given: the default policy would re-quote every value
        rendered = "".join(f"; {name}={value if _TOKEN.fullmatch(value) else _quoted(value)}"
                           for name, value in params.items())
        del part["Content-Type"]
        part.set_raw("Content-Type", f"{maintype}/{subtype or 'octet-stream'}{rendered}")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


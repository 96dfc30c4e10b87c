"""Show a stored message as its recipient would see it: headers, text, HTML and attachments."""
from __future__ import annotations

import email
import email.policy
import mailbox
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from console.mail.content import clean_line, decode_part, safe_filename


@dataclass
class Part:
    number: int          # position in message.walk(): the download address
    filename: str
    content_type: str
    size: int


@dataclass
class Shown:
    subject: str
    sender: str
    to: str
    date: datetime | None
    message_id: str
    text: str | None
    has_html: bool
    attachments: list[Part] = field(default_factory=list)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def show(message: EmailMessage) -> Shown:
    """Whatever the message's charsets and file names: this never fails (console.mail.content)."""
    text_part, html_part = _body(message, "plain"), _body(message, "html")
    body_parts = {id(p) for p in (text_part, html_part) if p is not None}
    attachments = [Part(n, safe_filename(_filename(part), f"part-{n}"), part.get_content_type(),
                        len(part.get_payload(decode=True) or b""))
                   for n, part in enumerate(message.walk())
                   if not part.is_multipart() and id(part) not in body_parts]
    return Shown(subject=clean_line(str(message.get("Subject", ""))), sender=clean_line(str(message.get("From", ""))),
                 to=clean_line(str(message.get("To", ""))), date=_date(message),
                 message_id=clean_line(str(message.get("Message-ID", ""))),
                 text=decode_part(text_part) if text_part is not None else None, has_html=html_part is not None,
                 attachments=attachments)


def html_body(message: EmailMessage) -> str | None:
    part = _body(message, "html")
    return decode_part(part) if part is not None else None


def part_content(message: EmailMessage, number: int) -> tuple[bytes, str, str] | None:
    """(bytes, content type, a safe filename) of the numbered leaf part, or None."""
    for n, part in enumerate(message.walk()):
        if n == number and not part.is_multipart():
            return (part.get_payload(decode=True) or b"", part.get_content_type(),
                    safe_filename(_filename(part), f"part-{n}"))
    return None


def _body(message: EmailMessage, subtype: str):
    try:
        return message.get_body((subtype,))
    except Exception:
        return None


def _filename(part) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class SentMail:
    """The embedded sink's Maildir, newest first."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def keys(self) -> list[str]:
        if not (self.path / "new").is_dir():
            return []
        # mailbox's keys start with the delivery time in seconds and microseconds: their order is arrival order
        return sorted(mailbox.Maildir(str(self.path), create=False).keys(), reverse=True)

    def raw(self, key: str) -> bytes | None:
        if not (self.path / "new").is_dir() or "/" in key or key.startswith("."):
            return None
        box = mailbox.Maildir(str(self.path), create=False)
        try:
            return box.get_bytes(key)
        except KeyError:
            return None


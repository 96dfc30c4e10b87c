"""Show a stored message as its recipient would see it: headers, text, HTML and attachments."""
from __future__ import annotations

import email
import mailbox
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable

from console.mail.content import POLICY, clean_line, decode_part, safe_filename


_HEADER_BYTES = 16384  # enough for any header block the outbox writes; the body is not read to sort


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
    return email.message_from_bytes(raw, policy=POLICY)


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
    """The embedded sink's Maildir, newest first in the order the messages were queued.

    Arrival order is not queue order: a retried or slower delivery arrives after a later message. The Date
    header is the queue time (console.mail.outbox) but only to the second, so `queue_rank` (Message-ID → the
    outbox row's id) orders messages queued within one second; mail from elsewhere sorts by Date alone."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def headers(self) -> dict[str, tuple[float, str]]:
        """(queue time as a timestamp, Message-ID) of every message, read from its header block only."""
        if not (self.path / "new").is_dir():
            return {}
        box, parser, found = mailbox.Maildir(str(self.path), create=False), BytesHeaderParser(), {}
        for key in box.keys():
            try:
                with box.get_file(key) as handle:
                    head = parser.parsebytes(handle.read(_HEADER_BYTES))
            except (KeyError, OSError):
                continue
            date = _date(head)
            found[key] = (date.timestamp() if date else 0.0, clean_line(str(head.get("Message-ID") or "")))
        return found

    def keys(self, queue_rank: Callable[[list[str]], dict[str, int]] = lambda ids: {}) -> list[str]:
        headers = self.headers()
        rank = queue_rank([message_id for _, message_id in headers.values() if message_id])
        # mailbox's keys start with the delivery time: the last tie-break is arrival order
        return sorted(headers, key=lambda k: (headers[k][0], rank.get(headers[k][1], 0), k), reverse=True)

    def raw(self, key: str) -> bytes | None:
        if not (self.path / "new").is_dir() or "/" in key or key.startswith("."):
            return None
        box = mailbox.Maildir(str(self.path), create=False)
        try:
            return box.get_bytes(key)
        except KeyError:
            return None


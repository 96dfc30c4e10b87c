"""When the console may answer a received message automatically (RFC 3834), and how it marks what it sends.

An automatic answer goes only to a registered address (the handler decides that), and never
- to the null sender (MAIL FROM:<>: bounces and delivery reports),
- to a message that is itself automatic (`Auto-Submitted` other than `no`), or bulk (`Precedence: bulk`,
  `list`, `junk`), or from a mailing list (`List-Id` or another List-* header of RFC 2369/2919),
- to a list or mailer address (`MAILER-DAEMON`, `owner-…`, `…-request`, `LISTSERV`, `majordomo`),
- to an address that does not parse as exactly one address.
Every message the console sends is marked `Auto-Submitted: auto-generated` (console.mail.outbox), answers
`auto-replied`, with `In-Reply-To` and `References` naming the message they answer.
"""
from __future__ import annotations

import re
from email.message import EmailMessage

from console.mail.addresses import parse_or_none

LIST_HEADERS = ("List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post", "List-Owner",
                "List-Archive")
BULK_PRECEDENCE = {"bulk", "list", "junk"}
_SYSTEM_LOCAL = re.compile(r"(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|"
                           r"no-?reply|bounces?(\+.*)?)", re.IGNORECASE)
_MSG_ID = re.compile(r"<[^<>\s]{1,250}>")


def is_null_sender(mail_from: str | None) -> bool:
    return (mail_from or "").strip() in ("", "<>")


def is_automatic(message: EmailMessage) -> bool:
    """Auto-Submitted other than `no`, bulk/list/junk precedence, or mail from a list."""
    auto = str(message.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence") or "").strip().lower() in BULK_PRECEDENCE:
        return True
    return any(message.get(name) is not None for name in LIST_HEADERS)


def is_auto_reply(message: EmailMessage) -> bool:
    """An out-of-office or other answer to something (not a report of its own)."""
    return str(message.get("Auto-Submitted") or "").split(";")[0].strip().lower() == "auto-replied"


def refusal(mail_from: str | None, message: EmailMessage, address: str | None) -> str | None:
    """Why no automatic answer may go to `address` for this message, or None when one may."""
    if is_null_sender(mail_from):
        return "null_sender"
    if is_automatic(message):
        return "automatic"
    parsed = parse_or_none(address)
    if parsed is None:
        return "malformed"
    if _SYSTEM_LOCAL.fullmatch(parsed.local):
        return "system_address"
    return None


def thread_of(message: EmailMessage) -> tuple[str | None, str | None]:
    """(In-Reply-To, References) for an answer to `message`; only well-formed message ids are copied."""
    own = _MSG_ID.findall(str(message.get("Message-ID") or ""))[:1]
    if not own:
        return None, None
    earlier = _MSG_ID.findall(str(message.get("References") or "") or str(message.get("In-Reply-To") or ""))
    chain = [m for m in earlier if m != own[0]][-20:] + own  # RFC 5322 §3.6.4, kept short
    return own[0], " ".join(chain)

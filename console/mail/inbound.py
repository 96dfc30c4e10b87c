"""Inbound SMTP dispatch: which recipient goes to which handler, storing first, handling with retries.

Handlers are declared here, by import string, keyed by name. Which local part goes to which handler is
configuration (INBOUND_ADDRESSES, e.g. "stoerung=incidents,fax=fax"); accepted domains come from
INBOUND_DOMAINS. A handler is `def handle_inbound(message: InboundMessage) -> None`: it flushes, the dispatcher
commits; raising leaves the message stored for another try and for staff.
"""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select, update
from werkzeug.utils import import_string

from console import clock
from console.extensions import db
from console.mail.backoff import next_attempt
from console.mail.models import InboundMessage, InboundState

log = logging.getLogger("console.mail.inbound")

INBOUND_HANDLERS: dict[str, str] = {
    "incidents": "console.incidents.mail:handle_inbound",
}

LEASE = timedelta(minutes=10)  # a dispatcher that dies mid-handler frees the message after this


def _settings():
    return current_app.extensions["settings"]


def address_map(settings=None) -> dict[str, str]:
    """Local part → handler name from INBOUND_ADDRESSES."""
    pairs = ((settings or _settings()).inbound_addresses or "").split(",")
    return {local.strip().lower(): name.strip() for local, _, name in (p.partition("=") for p in pairs)
            if local.strip() and name.strip()}


def accepted_domains(settings=None) -> set[str]:
    return {d.strip().lower() for d in ((settings or _settings()).inbound_domains or "").split(",") if d.strip()}


def handler_for(address: str, settings=None) -> str | None:
    """The handler name for a recipient address, or None when nobody here takes mail for it."""
    local, _, domain = (parseaddr(address)[1] or address).rpartition("@")
    if not local or domain.lower() not in accepted_domains(settings):
        return None
    name = address_map(settings).get(local.lower())
    return name if name in INBOUND_HANDLERS else None


def store(mail_from: str, rcpt_tos: list[str], raw: bytes, peer: str | None = None) -> list[int]:
    """Persist the message once per recipient, committed, before any handler runs. Returns the row ids."""
    now = clock.now()
    rows = [InboundMessage(mail_from=mail_from[:320], rcpt_to=rcpt[:320], handler=handler_for(rcpt) or "",
                           raw=raw, size=len(raw), peer=(peer or "")[:100], received_at=now,
                           state=InboundState.RECEIVED, attempts=0, next_attempt_at=now) for rcpt in rcpt_tos]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def dispatch(message_id: int) -> bool:
    """Run the handler for one stored message if it is due and nobody else holds it. True when handled."""
    if not _lease(message_id):
        return False
    row = db.session.get(InboundMessage, message_id, populate_existing=True)
    try:
        handler = import_string(INBOUND_HANDLERS[row.handler])
        handler(row)
        db.session.flush()
    except Exception as exc:  # any handler failure: keep the message, try again later
        db.session.rollback()
        _record_failure(message_id, exc)
        return False
    row.state, row.handled_at, row.next_attempt_at, row.last_error = InboundState.HANDLED, clock.now(), None, None
    row.attempts += 1
    db.session.commit()
    return True


def dispatch_due() -> int:
    """The scheduler's job: hand every due message (new, or failed earlier) to its handler."""
    now = clock.now()
    due = list(db.session.scalars(
        select(InboundMessage.id).where(InboundMessage.state.in_([InboundState.RECEIVED, InboundState.RETRY]),
                                        InboundMessage.next_attempt_at <= now).order_by(InboundMessage.id)))
    db.session.commit()
    return sum(dispatch(message_id) for message_id in due)


def retry_now(row: InboundMessage) -> None:
    """Staff's "retry now": due at once (flushes)."""
    row.state, row.next_attempt_at = InboundState.RETRY, clock.now()
    db.session.flush()


def _lease(message_id: int) -> bool:
    now = clock.now()
    taken = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id,
               InboundMessage.state.in_([InboundState.RECEIVED, InboundState.RETRY]),
               or_(InboundMessage.next_attempt_at.is_(None), InboundMessage.next_attempt_at <= now))
        .values(next_attempt_at=now + LEASE), execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return taken == 1


def _record_failure(message_id: int, exc: Exception) -> None:
    row = db.session.get(InboundMessage, message_id, populate_existing=True)
    now = clock.now()
    row.attempts += 1
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    row.last_error = (detail if row.handler in INBOUND_HANDLERS else f"no handler named {row.handler!r}")[:2000]
    due = next_attempt(row.attempts, row.received_at, now)
    row.state = InboundState.RETRY if due else InboundState.FAILED
    row.next_attempt_at = due
    log.warning("inbound mail %s for %s: handler %s failed (attempt %s): %s", row.id, row.rcpt_to, row.handler,
                row.attempts, row.last_error)
    db.session.commit()

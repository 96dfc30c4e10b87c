"""Inbound SMTP dispatch: which recipient goes to which handler, storing first, handling with retries.

Handlers are declared here, by import string, keyed by name. Which local part goes to which handler is
configuration (INBOUND_ADDRESSES, e.g. "stoerung=incidents,fax=fax"); accepted domains come from
INBOUND_DOMAINS. A handler is `def handle_inbound(message: InboundMessage) -> Outcome | None`: it flushes, the
job (console.mail.jobs) commits; raising leaves the message stored for another try (MAX_ATTEMPTS in all, then
staff are told). Nothing here commits: storing, leasing, handling and recording a failure each flush, and the job
commits each in its own transaction (console.jobs.shape).
The Outcome it returns says what it did, or that it holds the message for staff to assign.
"""
from __future__ import annotations

import email
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select, update
from werkzeug.utils import import_string

from console import clock
from console.extensions import db
from console.mail import authresults
from console.mail.backoff import next_attempt
from console.mail.content import POLICY, clean_line
from console.mail.models import InboundMessage, InboundState

log = logging.getLogger("console.mail.inbound")

INBOUND_HANDLERS: dict[str, str] = {
    "incidents": "console.incidents.mail:handle_inbound",
    "fax": "console.fax.mailin:handle_inbound",
}
# handler name → `check_recipient(mail_from, address) -> SMTP reply | None`, asked at RCPT time: a handler that
# takes mail only from some senders says so before the message is accepted (the fax domain: never an open relay)
RECIPIENT_CHECKS: dict[str, str] = {
    "fax": "console.fax.mailin:check_recipient",
}
# handler name → the module with which staff act on a message its handler held (or kept failing on), e.g. file it
# as a reseller's fault report: `assign_choices(message) -> choices`, `assign_inbound(message, choice, actor)`
INBOUND_ASSIGNERS: dict[str, str] = {
    "incidents": "console.incidents.mail",
}

LEASE = timedelta(minutes=10)  # a dispatcher that dies mid-handler frees the message after this
MAX_ATTEMPTS = 5  # then the message is `failed` and staff are told; a handler that fails that often will not heal


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
    fax_domain = (settings or _settings()).fax_domain.strip().lower()
    if local and fax_domain and domain.lower() == fax_domain:
        return "fax"   # <number>@<FAX_DOMAIN>: console.fax.mailin
    if not local or domain.lower() not in accepted_domains(settings):
        return None
    name = address_map(settings).get(local.lower())
    return name if name in INBOUND_HANDLERS else None


def refusal(name: str, mail_from: str | None, address: str) -> str | None:
    """The handler's RCPT-time reply refusing this sender for this recipient, or None to accept."""
    path = RECIPIENT_CHECKS.get(name)
    return import_string(path)(mail_from, address) if path else None


@dataclass(frozen=True)
class Outcome:
    """What a handler did with a message, for staff (a code the inbound page names in words).

    `held`: the handler would not act on it alone (an unknown or forged sender): the message waits for staff,
    who assign it (INBOUND_ASSIGNERS) or set it aside."""
    code: str
    held: bool = False


def store(mail_from: str, rcpt_tos: list[str], raw: bytes, peer: str | None = None) -> list[int]:
    """Persist the message once per handler (flushes; the job commits before any handler runs). Returns the row ids.

    Recipients that go to the same handler share one row (`stoerung@` and `STOERUNG@` are one report)."""
    now = clock.now()
    by_handler: dict[str, list[str]] = {}
    for rcpt in rcpt_tos:
        spellings = by_handler.setdefault(handler_for(rcpt) or "", [])
        if rcpt.lower() not in (r.lower() for r in spellings):
            spellings.append(rcpt)
    message_id, auth = _read_headers(raw)
    rows = [InboundMessage(mail_from=mail_from[:320], rcpt_to=", ".join(rcpts)[:320], handler=handler, raw=raw,
                           size=len(raw), peer=(peer or "")[:100], received_at=now, state=InboundState.RECEIVED,
                           attempts=0, next_attempt_at=now, message_id=message_id, auth_results=auth)
            for handler, rcpts in by_handler.items()]
    db.session.add_all(rows)
    db.session.flush()
    return [r.id for r in rows]


def _read_headers(raw: bytes) -> tuple[str | None, dict | None]:
    """The Message-ID and the receiving MTA's Authentication-Results; never fails (the message is stored
    whatever it looks like)."""
    try:
        message = email.message_from_bytes(raw, policy=POLICY)
        message_id = clean_line(str(message.get("Message-ID") or ""))[:250] or None
        return message_id, authresults.trusted_results(message, _settings().inbound_authserv_id)
    except Exception:
        log.exception("could not read the headers of an inbound message")
        return None, None


def due() -> list[int]:
    """The messages due for their handler: new ones, and failed ones whose next try has come."""
    return list(db.session.scalars(
        select(InboundMessage.id).where(InboundMessage.state.in_([InboundState.RECEIVED, InboundState.RETRY]),
                                        InboundMessage.next_attempt_at <= clock.now()).order_by(InboundMessage.id)))


def handle(message_id: int) -> None:
    """Run the handler of a leased message and record what it did (flushes). A handler's failure is raised, for
    record_failure after the rollback."""
    row = db.session.get(InboundMessage, message_id, populate_existing=True)
    handler = import_string(INBOUND_HANDLERS[row.handler])
    outcome = handler(row)
    db.session.flush()
    row.outcome = outcome.code[:40] if isinstance(outcome, Outcome) else None
    row.state = InboundState.HELD if isinstance(outcome, Outcome) and outcome.held else InboundState.HANDLED
    row.handled_at, row.next_attempt_at, row.last_error = clock.now(), None, None
    row.attempts += 1
    db.session.flush()


def retry_now(row: InboundMessage) -> None:
    """Staff's "retry now": due at once (flushes). A failed message gets one more try; a held one is handed to its
    handler again (say, after staff registered the sender's address)."""
    row.state, row.next_attempt_at = InboundState.RETRY, clock.now()
    db.session.flush()


def assigner(row: InboundMessage):
    """The handler's module for staff to act on a held or failed message, or None (INBOUND_ASSIGNERS)."""
    path = INBOUND_ASSIGNERS.get(row.handler)
    return import_string(path) if path else None


def set_aside(row: InboundMessage, actor_label: str) -> None:
    """Staff decided the message needs nothing (spam, an answer to nobody): handled, nothing filed (flushes)."""
    row.state, row.outcome, row.handled_at, row.next_attempt_at = (InboundState.HANDLED, "set_aside", clock.now(),
                                                                   None)
    row.handled_by = actor_label[:300]
    db.session.flush()


def lease(message_id: int) -> bool:
    """Take a due message for LEASE (flushes); False when it is not due or another dispatcher holds it."""
    now = clock.now()
    taken = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id,
               InboundMessage.state.in_([InboundState.RECEIVED, InboundState.RETRY]),
               or_(InboundMessage.next_attempt_at.is_(None), InboundMessage.next_attempt_at <= now))
        .values(next_attempt_at=now + LEASE), execution_options={"synchronize_session": False}).rowcount
    return taken == 1


def record_failure(message_id: int, exc: Exception) -> None:
    """Another try later; after MAX_ATTEMPTS the message is `failed` and staff are told (MAIL_STAFF_TO). Flushes."""
    row = db.session.get(InboundMessage, message_id, populate_existing=True)
    now = clock.now()
    row.attempts += 1
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    row.last_error = (detail if row.handler in INBOUND_HANDLERS else f"no handler named {row.handler!r}")[:2000]
    due = next_attempt(row.attempts, row.received_at, now) if row.attempts < MAX_ATTEMPTS else None
    row.state = InboundState.RETRY if due else InboundState.FAILED
    row.next_attempt_at = due
    log.warning("inbound mail %s for %s: handler %s failed (attempt %s): %s", row.id, row.rcpt_to, row.handler,
                row.attempts, row.last_error)
    if row.state is InboundState.FAILED:
        _tell_staff(row)
    db.session.flush()


def _tell_staff(row: InboundMessage) -> None:
    from console.mail.outbox import queue_mail
    settings = _settings()
    try:
        with db.session.begin_nested():
            queue_mail(key=f"inbound-failed:{row.id}:{row.attempts}", to=settings.mail_staff_to,
                       template="inbound_failed", language=settings.default_language,
                       context={"message": row, "subject": clean_line(row.subject)[:200],
                                "base_url": settings.base_url.rstrip("/")})
    except Exception:  # MAIL_STAFF_TO unusable: the message still shows as failed on the inbound page
        log.exception("could not tell staff (MAIL_STAFF_TO=%r) about inbound mail %s", settings.mail_staff_to,
                      row.id)

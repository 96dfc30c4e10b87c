"""The mail jobs the scheduler runs (declared in console.jobs.registry), and the commits of the mail worker and
the inbound dispatcher: console.mail.delivery and console.mail.inbound only flush; here each step of the job shape
(console.jobs.shape) is committed on its own."""
from __future__ import annotations

import logging
from collections.abc import Callable

from console.extensions import db
from console.jobs.shape import run_items
from console.mail import delivery, inbound
from console.mail.delivery import DeliveryReport

log = logging.getLogger("console.mail")


# --- outgoing ----------------------------------------------------------------------------------------------------

def deliver_due(batch: int = 100) -> DeliveryReport:
    """Send every due outbox message, batch by batch, until none is due: each claim is committed, each message
    sent outside any transaction and its outcome committed on its own."""
    delivery.release_stale_claims()
    db.session.commit()
    run = delivery.Delivery.from_settings()
    try:
        while run_items(claim=lambda: run.claim(batch), start=run.start, work=run.send, record=run.sent,
                        fail=run.failed):
            pass
    finally:
        run.close()
    if run.report.sent or run.report.deferred or run.report.failed:
        log.info("mail delivery: %s", run.report)
    return run.report


# --- incoming ----------------------------------------------------------------------------------------------------

def receive(mail_from: str, rcpt_tos: list[str], raw: bytes, peer: str | None = None) -> list[int]:
    """Store an inbound message, committed before any handler runs (the SMTP server answers only then)."""
    ids = inbound.store(mail_from, rcpt_tos, raw, peer)
    db.session.commit()
    return ids


def _dispatch(claim: Callable[[], list[int]]) -> int:
    handled: list[int] = []

    def record(message_id: int, _result) -> None:
        inbound.handle(message_id)
        handled.append(message_id)

    run_items(claim=claim, start=lambda message_id: message_id if inbound.lease(message_id) else None,
              record=record, fail=inbound.record_failure)
    return len(handled)


def dispatch(message_id: int) -> bool:
    """Hand one stored message to its handler if it is due and nobody else holds it. True when handled."""
    return _dispatch(lambda: [message_id]) == 1


def dispatch_due() -> int:
    """Hand every due message (new, or failed earlier) to its handler; returns how many were handled."""
    return _dispatch(inbound.due)


def dispatch_inbound() -> None:
    """The scheduler's job: stored inbound mail the SMTP server could not hand on, and retries."""
    handled = dispatch_due()
    if handled:
        log.info("inbound mail: %s handled", handled)

"""The mail jobs the scheduler runs (declared in console.jobs.registry)."""
from __future__ import annotations

import logging

from console.extensions import db
from console.mail import delivery, inbound

log = logging.getLogger("console.mail")


def deliver_due() -> None:
    """Send every due outbox message."""
    report = delivery.deliver_due()
    db.session.commit()
    if report.sent or report.deferred or report.failed:
        log.info("mail delivery: %s", report)


def dispatch_inbound() -> None:
    """Hand stored inbound mail to its handler: new messages the SMTP server could not, and retries."""
    handled = inbound.dispatch_due()
    db.session.commit()
    if handled:
        log.info("inbound mail: %s handled", handled)

"""Scheduler job: on the 1st (or the first tick after a downtime) draft every month not yet drafted."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console import clock
from console.billing.models import BillingRun
from console.billing.services import draft, find_run, previous_month
from console.extensions import db

log = logging.getLogger("console.billing")


def months_due() -> list[tuple[int, int]]:
    """The previous month, and any month between the latest run and it that a downtime skipped."""
    year, month = previous_month(clock.today_berlin())
    latest = db.session.execute(select(BillingRun.year, BillingRun.month)
                                .order_by(BillingRun.year.desc(), BillingRun.month.desc()).limit(1)).first()
    first = (latest.year * 12 + latest.month) if latest else year * 12 + month - 1
    months = []
    for index in range(first + 1, year * 12 + month + 1):
        y, m = divmod(index - 1, 12)
        months.append((y, m + 1))
    return [ym for ym in months if find_run(*ym) is None]


def draft_due() -> None:
    for year, month in months_due():
        try:
            draft(year, month)
            db.session.commit()
            log.info("billing: drafted %04d-%02d", year, month)
        except IntegrityError:  # another process drafted it first: the month exists once
            db.session.rollback()


def send_demo_notices() -> None:
    from console.billing.demo import queue_demo_notices
    queue_demo_notices()
    db.session.commit()

"""Scheduled work: warn staff before an SLA target is breached — within service hours only, each warning once."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from console import clock, servicehours
from console.extensions import db
from console.jobs.shape import run_items
from console.incidents import notify
from console.incidents.models import Incident, OPEN_STATES
from console.incidents.sla import status_of

log = logging.getLogger("console.incidents")
WARN_SERVICE_MINUTES = 30   # warn when this much service time is left before a deadline


def warn_before_breach() -> int:
    """Queue one warning per pending deadline that is less than WARN_SERVICE_MINUTES of service time away.

    Runs every minute; does nothing outside service hours (the warning comes at 08:00, not at 2 a.m.).
    The outbox key holds the deadline, so a repeated run sends nothing twice. Each incident is committed on its own
    (console.jobs.shape): one that fails blocks no other. Returns the count.
    """
    now = clock.now()
    if not servicehours.is_service_time(now):
        return 0
    # Pending deadlines lie in service time; 30 service minutes are at most a few calendar days away.
    horizon = now + timedelta(days=5)
    fallback = current_app.extensions["settings"].mail_staff_to
    queued: list[int] = []

    def candidates() -> list[int]:
        return list(db.session.scalars(select(Incident.id).where(
            Incident.state.in_(OPEN_STATES), Incident.sla_due_at.is_not(None), Incident.sla_due_at <= horizon)
            .order_by(Incident.id)))

    def warn(incident_id: int, _plan) -> None:
        incident = db.session.get(Incident, incident_id, populate_existing=True)
        status = status_of(incident, now)
        for due_clock in status.pending():
            if status.paused or due_clock.due <= now:
                continue
            if servicehours.service_minutes_between(now, due_clock.due) > WARN_SERVICE_MINUTES:
                continue
            assignee = incident.assignee
            recipient = assignee.email if assignee else fallback
            notify.sla_warning(incident, due_clock.name, due_clock.due, recipient,
                               assignee.language if assignee else "de")
            queued.append(incident_id)

    def failed(incident_id: int, exc: Exception) -> None:   # tried again next minute; the others are warned
        log.error("SLA warning for incident %s failed", incident_id, exc_info=exc)

    run_items(claim=candidates, record=warn, fail=failed)
    return len(queued)

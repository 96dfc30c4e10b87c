"""Scheduled work: warn staff before an SLA target is breached — within service hours only, each warning once."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from console import clock, servicehours
from console.extensions import db
from console.incidents import notify
from console.incidents.models import Incident, OPEN_STATES
from console.incidents.sla import status_of

WARN_SERVICE_MINUTES = 30   # warn when this much service time is left before a deadline


def warn_before_breach() -> int:
    """Queue one warning per pending deadline that is less than WARN_SERVICE_MINUTES of service time away.

    Runs every minute; does nothing outside service hours (the warning comes at 08:00, not at 2 a.m.).
    The outbox key holds the deadline, so a repeated run sends nothing twice. Commits once. Returns the count.
    """
    now = clock.now()
    if not servicehours.is_service_time(now):
        return 0
    # Pending deadlines lie in service time; 30 service minutes are at most a few calendar days away.
    horizon = now + timedelta(days=5)
    candidates = db.session.scalars(select(Incident).where(Incident.state.in_(OPEN_STATES),
                                                           Incident.sla_due_at.is_not(None),
                                                           Incident.sla_due_at <= horizon)).all()
    fallback = current_app.extensions["settings"].mail_staff_to
    queued = 0
    for incident in candidates:
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
            queued += 1
    db.session.commit()
    return queued

"""The maintenance ticker: due announcements, day-before reminders and starts, each exactly once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from console import clock
from console.extensions import db
from console.maintenance import notices, services
from console.maintenance.models import MaintenanceWindow, WindowKind, WindowState

REMINDER_BEFORE = timedelta(hours=24)


def send_due_notices() -> None:
    """Find what fell due (also while no scheduler ran) and do it once; one transaction."""
    now = clock.now()
    for window in db.session.scalars(select(MaintenanceWindow).where(
            MaintenanceWindow.state == WindowState.PLANNED, MaintenanceWindow.announce_at <= now)):
        services.announce(window)  # refuses to announce late: flags the window instead
    for window in db.session.scalars(select(MaintenanceWindow).where(
            MaintenanceWindow.state == WindowState.ANNOUNCED, MaintenanceWindow.kind == WindowKind.REGULAR,
            MaintenanceWindow.reminded_at.is_(None), MaintenanceWindow.starts_at <= now + REMINDER_BEFORE)):
        if window.starts_at > now:  # a reminder after the start would only confuse
            notices.send(window, "reminder")
        window.reminded_at = now
    for window in db.session.scalars(select(MaintenanceWindow).where(
            MaintenanceWindow.state == WindowState.ANNOUNCED, MaintenanceWindow.starts_at <= now)):
        services.start(window)
    db.session.commit()

"""The maintenance ticker: due announcements, day-before reminders and starts, each exactly once."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from console import clock
from console.extensions import db
from console.jobs.shape import run_items
from console.maintenance import notices, services
from console.maintenance.models import MaintenanceWindow, WindowKind, WindowState

REMINDER_BEFORE = timedelta(hours=24)
log = logging.getLogger("console.maintenance")


def _ids(query) -> list[int]:
    return list(db.session.scalars(query.order_by(MaintenanceWindow.id)))


def _window(window_id: int) -> MaintenanceWindow:
    return db.session.get(MaintenanceWindow, window_id, populate_existing=True)


def _announce(window_id: int, _plan) -> None:
    services.announce(_window(window_id))  # refuses to announce late: flags the window instead


def _remind(window_id: int, _plan) -> None:
    window, now = _window(window_id), clock.now()
    if window.starts_at > now:  # a reminder after the start would only confuse
        notices.send(window, "reminder")
    window.reminded_at = now
    db.session.flush()


def _start(window_id: int, _plan) -> None:
    services.start(_window(window_id))


def _failed(window_id: int, exc: Exception) -> None:
    """This window's step is tried again on the next tick; the other windows go on."""
    log.error("maintenance window %s: a due step failed", window_id, exc_info=exc)


def send_due_notices() -> None:
    """Find what fell due (also while no scheduler ran) and do it once, window by window in the job shape
    (console.jobs.shape): each window's step is committed on its own, so one bad window blocks no other."""
    now = clock.now()
    run_items(claim=lambda: _ids(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == WindowState.PLANNED, MaintenanceWindow.announce_at <= now)),
        record=_announce, fail=_failed)
    run_items(claim=lambda: _ids(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == WindowState.ANNOUNCED, MaintenanceWindow.kind == WindowKind.REGULAR,
        MaintenanceWindow.reminded_at.is_(None), MaintenanceWindow.starts_at <= now + REMINDER_BEFORE)),
        record=_remind, fail=_failed)
    run_items(claim=lambda: _ids(select(MaintenanceWindow.id).where(
        MaintenanceWindow.state == WindowState.ANNOUNCED, MaintenanceWindow.starts_at <= now)),
        record=_start, fail=_failed)

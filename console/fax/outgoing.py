"""Outgoing faxes after the mail: the PDF checked and rendered to fax pages in a sandbox (a job), then pulled by
the gateway (claim with a lease), one attempt at a time; busy and no answer are retried FAX_RETRIES times,
FAX_RETRY_MINUTES apart; every end (sent, refused, given up) is reported to the sender (console.fax.reports)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from console import clock
from console.extensions import db
from console.fax import reports, sandbox, store
from console.fax.models import RETRYABLE, Direction, Fax, FaxAttempt, FaxState, Reason


def _settings():
    return current_app.extensions["settings"]


# --- rendering: a job in the one shape ---------------------------------------------------------------------------

def due_renders() -> list[int]:
    now = clock.now()
    return list(db.session.scalars(select(Fax.id).where(
        Fax.direction == Direction.OUT, Fax.state == FaxState.RENDERING, Fax.next_attempt_at <= now)
        .order_by(Fax.id)))


def start_render(fax_id: int) -> dict | None:
    now = clock.now()
    settings = _settings()
    taken = db.session.execute(update(Fax).where(
        Fax.id == fax_id, Fax.state == FaxState.RENDERING, Fax.next_attempt_at <= now).values(
        next_attempt_at=now + timedelta(seconds=settings.fax_render_seconds * 3)),
        execution_options={"synchronize_session": False}).rowcount
    if taken != 1:
        return None
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    tiff = fax.source_path.rpartition(".")[0] + ".tif"
    cover = store.path_of(fax.source_path.rpartition(".")[0] + ".cover.pdf")
    return {"pdf": str(store.path_of(fax.source_path)), "tiff": str(store.path_of(tiff)), "relative": tiff,
            "cover": str(cover) if cover.is_file() else None,
            "max_pages": settings.fax_max_pages, "memory_mb": settings.fax_render_memory_mb,
            "seconds": settings.fax_render_seconds}


def render(plan: dict) -> tuple[dict, sandbox.Rendered]:
    from pathlib import Path
    return plan, sandbox.render(Path(plan["pdf"]), Path(plan["tiff"]), max_pages=plan["max_pages"],
                                memory_mb=plan["memory_mb"], seconds=plan["seconds"],
                                cover=Path(plan["cover"]) if plan["cover"] else None)


def record_render(fax_id: int, result: tuple[dict, sandbox.Rendered]) -> None:
    plan, rendered = result
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    fax.pdf_path = fax.source_path
    if rendered.refused:
        fax.state, fax.failure_code, fax.finished_at = FaxState.FAILED, rendered.refused, clock.now()
        fax.next_attempt_at, fax.failure_params = None, rendered.params or None
        reports.queue_report(fax)
    else:
        fax.tiff_path, fax.pages = plan["relative"], rendered.pages
        fax.state, fax.next_attempt_at = FaxState.READY, clock.now()
    db.session.flush()


def record_render_failure(fax_id: int, exc: Exception) -> None:
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    fax.failure_detail = f"{type(exc).__name__}: {exc}"[:2000]
    fax.next_attempt_at = clock.now() + timedelta(minutes=5)
    db.session.flush()


# --- the gateway's side: claim, document, attempt result ------------------------------------------------------

def claim() -> tuple[Fax, FaxAttempt] | None:
    """The next due job for the gateway, leased for FAX_LEASE_MINUTES, with its new attempt (flushes)."""
    now = clock.now()
    ready = and_(Fax.state == FaxState.READY, Fax.next_attempt_at <= now)
    lost = and_(Fax.state == FaxState.SENDING, Fax.lease_until < now)   # a gateway that took it and vanished
    for fax_id in db.session.scalars(select(Fax.id).where(Fax.direction == Direction.OUT, or_(ready, lost))
                                     .order_by(Fax.next_attempt_at, Fax.id).limit(5)):
        taken = db.session.execute(update(Fax).where(Fax.id == fax_id, or_(ready, lost)).values(
            state=FaxState.SENDING, lease_until=now + timedelta(minutes=_settings().fax_lease_minutes),
            attempts=Fax.attempts + 1), execution_options={"synchronize_session": False}).rowcount
        if taken != 1:
            continue
        fax = db.session.get(Fax, fax_id, populate_existing=True)
        attempt = FaxAttempt(fax=fax, number=fax.attempts, started_at=now)
        db.session.add(attempt)
        db.session.flush()
        return fax, attempt
    return None


class Stale(Exception):
    """The result is for an attempt that is not the current one (its lease ran out and another took it)."""


def record_attempt(fax: Fax, *, attempt: int, ok: bool, reason: Reason | None, pages_sent: int,
                   duration_s: int | None, remote_station: str | None) -> None:
    """What one attempt did (flushes): sent, retried later, or given up — and the sender is told at the end."""
    current = fax.tries[-1] if fax.tries else None
    if fax.state is not FaxState.SENDING or current is None or current.number != attempt:
        raise Stale()
    now = clock.now()
    total = fax.pages or 0
    pages_sent = max(0, min(pages_sent, total))
    if ok and pages_sent < total:
        ok, reason = False, Reason.PARTIAL
    current.finished_at, current.ok, current.reason = now, ok, None if ok else (reason or Reason.REJECTED)
    current.pages_sent, current.duration_s = pages_sent, duration_s
    current.remote_station = (remote_station or "").strip()[:40] or None
    fax.remote_station = current.remote_station or fax.remote_station
    fax.pages_sent = max(fax.pages_sent, pages_sent)
    fax.lease_until = None
    settings = _settings()
    if ok:
        fax.state, fax.finished_at, fax.failure_code = FaxState.SENT, now, None
        reports.queue_report(fax)
    elif current.reason in RETRYABLE and fax.attempts <= settings.fax_retries:
        fax.state, fax.next_attempt_at = FaxState.READY, now + timedelta(minutes=settings.fax_retry_minutes)
    else:
        fax.state, fax.finished_at, fax.failure_code = FaxState.FAILED, now, "gave_up"
        reports.queue_report(fax)
    db.session.flush()

"""Fax to e-mail: a received fax is stored first (file fsynced, row committed by the caller), then converted to
PDF and mailed by the job (console.fax.jobs) to the owner of the called number in their language, with the
caller's name from the directory; a fax to a number nobody owns goes to the customer's admins, flagged.

Services flush, never commit. The mail goes through the outbox under the key `fax-in:<id>:…`, so a fax is
mailed once however often the job runs, and mail that could not be sent (SMTP down) goes out on recovery.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, update

from console import clock
from console.auth.models import Login, Role
from console.errors import RuleViolation
from console.extensions import db
from console.fax import numbers, pages, store
from console.fax.models import Direction, Fax, FaxState
from console.mail.outbox import Attachment, queue_mail
from console.phone import InvalidNumber, pretty, to_e164

log = logging.getLogger("console.fax")
MAX_TRIES = 5


def _settings():
    return current_app.extensions["settings"]


def kind_of(data: bytes) -> str | None:
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tif"
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    return None


def receive(*, called: str, calling: str, station: str | None, data: bytes) -> Fax:
    """Store a received fax (flushes; the caller commits before it answers the gateway)."""
    errors = {}
    try:
        called_e164 = to_e164(called)
    except InvalidNumber:
        errors["called"] = "not a phone number"
    kind = kind_of(data)
    if kind is None:
        errors["document"] = "neither a TIFF nor a PDF"
    if errors:
        raise RuleViolation(errors)
    owner = numbers.owner_of(called_e164)
    pbx = owner.pbx if owner is not None else numbers.pbx_of(called_e164)
    fax = Fax(direction=Direction.IN, state=FaxState.RECEIVED, pbx=pbx, phone_user=owner,
              local_number=called_e164, remote_number=(calling or "").strip()[:40] or "?",
              remote_station=(station or "").strip()[:40] or None, flagged=owner is None, created_at=clock.now(),
              next_attempt_at=clock.now())
    db.session.add(fax)
    db.session.flush()
    day = clock.now().strftime("%Y/%m")
    fax.source_path = store.write(f"in/{day}/{fax.id}.{kind}", data)
    db.session.flush()
    return fax


# --- the job: convert and mail (console.fax.jobs runs these in the one job shape) -----------------------------

def due() -> list[int]:
    now = clock.now()
    return list(db.session.scalars(select(Fax.id).where(
        Fax.direction == Direction.IN, Fax.state == FaxState.RECEIVED,
        or_(Fax.next_attempt_at.is_(None), Fax.next_attempt_at <= now)).order_by(Fax.id)))


def start(fax_id: int) -> dict | None:
    now = clock.now()
    taken = db.session.execute(update(Fax).where(
        Fax.id == fax_id, Fax.state == FaxState.RECEIVED,
        or_(Fax.next_attempt_at.is_(None), Fax.next_attempt_at <= now)).values(
        next_attempt_at=now + timedelta(minutes=10)), execution_options={"synchronize_session": False}).rowcount
    if taken != 1:
        return None
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    return {"source": str(store.path_of(fax.source_path)), "pdf": str(store.path_of(_pdf_name(fax)))}


def _pdf_name(fax: Fax) -> str:
    return fax.source_path.rpartition(".")[0] + ".pdf"


def convert(plan: dict) -> int:
    """Outside any transaction: the PDF beside the received file; returns its page count."""
    source, target = Path(plan["source"]), Path(plan["pdf"])
    data = source.read_bytes()
    pdf = data if source.suffix == ".pdf" else pages.tiff_to_pdf(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as out:
        out.write(pdf)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return pages.pdf_page_count(pdf)


def record(fax_id: int, page_count: int) -> None:
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    fax.pdf_path, fax.pages = _pdf_name(fax), page_count
    fax.state, fax.finished_at, fax.next_attempt_at = FaxState.DELIVERED, clock.now(), None
    fax.attempts += 1
    _mail(fax)
    db.session.flush()


def record_failure(fax_id: int, exc: Exception) -> None:
    fax = db.session.get(Fax, fax_id, populate_existing=True)
    fax.attempts += 1
    fax.failure_detail = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning("received fax %s could not be converted (try %s): %s", fax.id, fax.attempts, fax.failure_detail)
    if fax.attempts >= MAX_TRIES:   # kept as received; staff look at it (the fax log shows it failed)
        fax.state, fax.failure_code, fax.next_attempt_at = FaxState.FAILED, "convert_failed", None
        settings = _settings()
        queue_mail(key=f"fax-in-failed:{fax.id}", to=settings.mail_staff_to, template="fax_failed",
                   language=settings.default_language,
                   context={"fax": fax, "url": f"{settings.base_url.rstrip('/')}/fax/{fax.id}"})
    else:
        fax.next_attempt_at = clock.now() + timedelta(minutes=fax.attempts * 5)
    db.session.flush()


def caller_name(fax: Fax) -> str | None:
    """The caller's name from the directory, or None (no entry, or the directory cannot answer now)."""
    if fax.pbx is None or not fax.remote_number or fax.remote_number == "?":
        return None
    try:
        from console.directory.books import lookup_name
        from console.directory.connection import get_directory
        return lookup_name(get_directory(), fax.pbx, fax.remote_number, fax.phone_user)
    except Exception:   # the fax goes out without a name rather than not at all
        log.warning("no caller name for fax %s: directory lookup failed", fax.id, exc_info=True)
        return None


def _recipients(fax: Fax) -> list[tuple[str, str, str]]:
    """(key suffix, address, language) of everyone the fax goes to."""
    user = fax.phone_user
    if user is not None and user.email:
        options = numbers.settings_for(user)
        return [("owner", user.email, numbers.language_of(user))] if options.notify_incoming else []
    admins = [] if fax.pbx is None else list(db.session.scalars(select(Login).where(
        Login.customer_id == fax.pbx.customer_id, Login.role == Role.CUSTOMER_ADMIN, Login.active.is_(True))
        .order_by(Login.id)))
    if admins:
        return [(f"admin{a.id}", a.email, a.language or "de") for a in admins]
    settings = _settings()
    return [("staff", settings.mail_staff_to, settings.default_language)]


def _mail(fax: Fax) -> None:
    name = caller_name(fax)
    pdf = store.read(fax.pdf_path)
    attach = fax.phone_user is None or numbers.settings_for(fax.phone_user).attach_pdf
    base_url = _settings().base_url.rstrip("/")
    for suffix, address, language in _recipients(fax):
        stamp = clock.now().strftime("%Y%m%d-%H%M")
        queue_mail(key=f"fax-in:{fax.id}:{suffix}", to=address, template="fax_received", language=language,
                   context={"fax": fax, "caller": pretty(fax.remote_number) if fax.remote_number.startswith("+")
                            else fax.remote_number, "caller_name": name, "called": pretty(fax.local_number),
                            "owner": fax.phone_user, "flagged": fax.flagged, "attached": attach,
                            "url": f"{base_url}/fax/{fax.id}"},
                   attachments=[Attachment(f"fax-{stamp}-{fax.id}.pdf", "application/pdf", pdf)] if attach else ())


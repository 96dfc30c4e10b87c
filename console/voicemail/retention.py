"""Retention: a customer's messages are deleted (inbox and store) once older than its period."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from console import clock
from console.accounts.models import Pbx
from console.extensions import db
from console.voicemail import inbox
from console.voicemail.models import DEFAULT_RETENTION_DAYS, Voicemail, VoicemailRetention, VoicemailState

log = logging.getLogger("console.voicemail")
BATCH = 500


def days_for(customer_id: int) -> int:
    row = db.session.get(VoicemailRetention, customer_id)
    return row.days if row is not None else DEFAULT_RETENTION_DAYS


def expired() -> list[int]:
    """Messages past their customer's period that are not waiting for processing."""
    ids: list[int] = []
    now = clock.now()
    for pbx_id, customer_id in db.session.execute(select(Pbx.id, Pbx.customer_id)):
        cutoff = now - timedelta(days=days_for(customer_id))
        ids += db.session.scalars(select(Voicemail.id).where(
            Voicemail.pbx_id == pbx_id, Voicemail.deleted_at.is_(None), Voicemail.received_at < cutoff,
            Voicemail.state.notin_([VoicemailState.STORED, VoicemailState.PROCESSING])).limit(BATCH))
    return ids


def expire(voicemail_id: int, _result) -> None:
    row = db.session.get(Voicemail, voicemail_id)
    if row is not None and row.deleted_at is None:
        inbox.delete(row)


def failed(voicemail_id: int, exc: Exception) -> None:
    log.warning("voicemail %s: retention clean-up failed: %s", voicemail_id, exc)


def set_days(customer_id: int, days: int) -> VoicemailRetention:
    row = db.session.get(VoicemailRetention, customer_id)
    if row is None:
        row = VoicemailRetention(customer_id=customer_id, days=days)
        db.session.add(row)
    row.days = days
    db.session.flush()
    return row

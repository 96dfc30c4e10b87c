"""Writes an AuditEntry for every change of an audited object, from one session listener.

Services never write audit rows themselves: whatever they change through the ORM is recorded in the same
transaction, with the acting login taken from `acting_as` (set per request and per CLI command).
"""
from __future__ import annotations

import contextvars
import enum
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from console import clock

REDACTED = "***"
SECRET_COLUMNS = {"password_hash", "session_token", "token_hash", "secret"}


class Audited:
    """Marker mixin: changes to instances of this model are written to the audit log."""


_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar(
    "audit_actor", default=(None, "system"))
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_request_id", default=None)


def set_actor(actor_id: int | None, label: str, request_id: str | None = None) -> tuple:
    """Set who is acting (for a request); returns tokens for reset_actor()."""
    return _actor.set((actor_id, label)), _request_id.set(request_id)


def reset_actor(tokens: tuple) -> None:
    _actor.reset(tokens[0])
    _request_id.reset(tokens[1])


@contextmanager
def acting_as(actor_id: int | None, label: str):
    token = _actor.set((actor_id, label))
    try:
        yield
    finally:
        _actor.reset(token)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _snapshot(obj, keys) -> dict:
    return {k: (REDACTED if k in SECRET_COLUMNS else _plain(getattr(obj, k))) for k in keys}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        secret = attr.key in SECRET_COLUMNS
        before[attr.key] = REDACTED if secret else _plain(old)
        after[attr.key] = REDACTED if secret else _plain(new)
    return before, after


def _row(action: str, obj, before, after) -> dict:
    actor_id, actor = _actor.get()
    key = inspect(obj).mapper.primary_key_from_instance(obj)[0]
    return {
        "at": clock.now(), "actor_id": actor_id, "actor": actor, "action": action,
        # object_id is an integer column; a row keyed otherwise (SlaTarget by its priority) is named by its label
        "object_type": type(obj).__name__, "object_id": key if isinstance(key, int) else None,
        "object_label": str(obj)[:300], "before": before, "after": after, "request_id": _request_id.get(),
    }


@event.listens_for(Session, "after_flush")
def _record(session: Session, flush_context) -> None:
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            keys = [a.key for a in inspect(obj).mapper.column_attrs]
            rows.append(_row("create", obj, None, _snapshot(obj, keys)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_row("update", obj, before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            keys = [a.key for a in inspect(obj).mapper.column_attrs]
            rows.append(_row("delete", obj, _snapshot(obj, keys), None))
    if rows:
        from console.audit.models import AuditEntry
        session.connection().execute(insert(AuditEntry.__table__), rows)

"""Inbound handlers for the tests: one that records what it saw, one that fails until told otherwise (and a
broken topic owner for the outbox)."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from console.extensions import db

seen: list[dict] = []
broken = {"on": True}


def record(message) -> None:
    """Looks at the database through a connection of its own: the message must already be committed."""
    engine = create_engine(db.engine.url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT state, raw FROM inbound_message WHERE id = :id"), {"id": message.id}).one()
    engine.dispose()
    seen.append({"id": message.id, "subject": message.parsed["Subject"], "to": message.rcpt_to,
                 "stored_state": stored.state, "stored_raw": bytes(stored.raw)})


def explode(message) -> None:
    if broken["on"]:
        raise RuntimeError(f"fax gateway unreachable for {message.rcpt_to}")
    seen.append({"id": message.id, "subject": message.parsed["Subject"], "to": message.rcpt_to})


def explode_revision(topic: str) -> int:
    """A topic owner (console.mail.delivery.CURRENT_REVISION) with a bug: an error that is not the server's."""
    raise RuntimeError(f"cannot look up {topic}")

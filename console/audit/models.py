from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from console import clock
from console.extensions import db


class AuditEntry(db.Model):
    """One change to one object. Written by the session listener in console.audit.recorder, never by hand."""
    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("login.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(300))  # kept as text: the log outlives the login
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete
    object_type: Mapped[str] = mapped_column(String(40), index=True)
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(40))

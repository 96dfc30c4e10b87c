"""Outgoing mail waits in the outbox; incoming mail is stored as received before any handler sees it."""
from __future__ import annotations

import email
import email.policy
import enum
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.db import enum_column
from console import clock
from console.extensions import db




class OutboxState(enum.Enum):
    QUEUED = "queued"      # waiting for its next attempt
    SENDING = "sending"    # claimed by a worker right now
    SENT = "sent"          # the SMTP server accepted it
    FAILED = "failed"      # permanent refusal, or temporary failures for longer than the retry period


class OutboxMessage(db.Model):
    """One outgoing message, rendered when queued: what is sent is exactly what was queued."""
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  # idempotency: one message per key, ever
    template: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    message_id: Mapped[str] = mapped_column(String(250))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[OutboxState] = mapped_column(enum_column(OutboxState), default=OutboxState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()

    @property
    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class InboundState(enum.Enum):
    RECEIVED = "received"  # stored, no handler has finished with it yet
    HANDLED = "handled"
    RETRY = "retry"        # the handler failed; tried again at next_attempt_at
    FAILED = "failed"      # the handler kept failing: staff look at it


class InboundMessage(db.Model):
    """One message as received over SMTP for one recipient, stored before its handler runs."""
    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_message_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(String(320))
    handler: Mapped[str] = mapped_column(String(50))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    peer: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    state: Mapped[InboundState] = mapped_column(enum_column(InboundState), default=InboundState.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None] = mapped_column()

    @property
    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", ""))

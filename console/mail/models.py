"""Outgoing mail waits in the outbox; incoming mail is stored as received before any handler sees it."""
from __future__ import annotations

import email
import email.policy
import enum
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.db import enum_column
from console import clock
from console.extensions import db




class OutboxState(enum.Enum):
    QUEUED = "queued"      # waiting for its next attempt
    SENDING = "sending"    # claimed by a worker right now
    SENT = "sent"          # the SMTP server accepted it
    FAILED = "failed"      # permanent refusal, or temporary failures for longer than the retry period
    SUPERSEDED = "superseded"  # its topic changed before it went out (a rescheduled window): never sent


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
    # What the message is about and which revision of it it tells (a maintenance window and its SEQUENCE):
    # checked at send time, so an older revision is never sent once a newer one exists (console.mail.delivery).
    topic: Mapped[str | None] = mapped_column(String(200), index=True)
    revision: Mapped[int | None] = mapped_column(Integer)

    @property
    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class InboundState(enum.Enum):
    RECEIVED = "received"  # stored, no handler has finished with it yet
    HANDLED = "handled"
    RETRY = "retry"        # the handler failed; tried again at next_attempt_at
    FAILED = "failed"      # the handler kept failing: staff were told and look at it
    HELD = "held"          # the handler would not act on it alone (unknown or forged sender): staff assign it


class InboundMessage(db.Model):
    """One message as received over SMTP for one handler, stored before its handler runs.

    Recipients that go to the same handler (`stoerung@` in seven spellings) share one row: one message is one
    fault report, whatever its recipients."""
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
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)  # the Message-ID header
    # SPF/DKIM/DMARC as the receiving MTA found them (console.mail.authresults), None when it left none
    auth_results: Mapped[dict | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(40))  # what the handler did (console.mail.inbound.Outcome)
    handled_by: Mapped[str | None] = mapped_column(String(300))  # the staff member who assigned or set it aside

    @property
    def parsed(self) -> EmailMessage:
        from console.mail.content import POLICY   # lenient: no header of a received message can fail a reader
        return email.message_from_bytes(self.raw, policy=POLICY)

    @property
    def subject(self) -> str:
        """The subject as one line of text, whatever the sender wrote into it."""
        from console.mail.content import clean_line
        try:
            return clean_line(str(self.parsed.get("Subject", "")))
        except Exception:  # a header the parser cannot turn into text at all
            return ""

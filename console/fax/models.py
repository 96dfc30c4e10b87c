"""Faxes in and out, their attempts, each user's fax settings, and the gateway's bearer token."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import clock
from console.accounts.models import Pbx, PhoneUser
from console.auth.models import Role
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import BearerToken
from console.db import enum_column
from console.extensions import db


class Direction(enum.Enum):
    IN = "in"
    OUT = "out"


class FaxState(enum.Enum):
    RECEIVED = "received"    # in: stored, not yet converted and mailed
    DELIVERED = "delivered"  # in: PDF made and the mail queued
    RENDERING = "rendering"  # out: the PDF waits to be checked and rendered to fax pages
    READY = "ready"          # out: waits for the gateway (next_attempt_at)
    SENDING = "sending"      # out: a gateway holds it (lease_until)
    SENT = "sent"            # out: every page went through
    FAILED = "failed"        # out: refused or given up; in: could not be converted (staff look)


class Reason(enum.Enum):
    """Why an attempt did not send every page (what the gateway reports)."""
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NO_FAX_TONE = "no_fax_tone"
    PARTIAL = "partial"
    REJECTED = "rejected"


RETRYABLE = frozenset({Reason.BUSY, Reason.NO_ANSWER})


def _fax_scope(login, customers):
    if getattr(login, "role", None) is Role.END_USER:
        return Fax.phone_user_id == login.phone_user_id
    return Fax.pbx_id.in_(pbx_ids_of(customers))


class Fax(db.Model):
    """One fax, received or to be sent. Its files live under FAX_DIR (console.fax.store) by relative path."""
    __tablename__ = "fax"
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    state: Mapped[FaxState] = mapped_column(enum_column(FaxState), index=True)
    pbx_id: Mapped[int | None] = mapped_column(ForeignKey("pbx.id"), index=True)
    phone_user_id: Mapped[int | None] = mapped_column(ForeignKey("phone_user.id", ondelete="SET NULL"), index=True)
    local_number: Mapped[str] = mapped_column(String(20))     # ours: the called (in) or sending (out) number
    remote_number: Mapped[str] = mapped_column(String(40))    # theirs: calling (in) or destination (out)
    remote_station: Mapped[str | None] = mapped_column(String(40))  # the T.30 station id (TSI/CSI)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # in: to a number nobody owns (went to admins)
    pages: Mapped[int | None] = mapped_column(Integer)
    pages_sent: Mapped[int] = mapped_column(Integer, default=0)
    source_path: Mapped[str | None] = mapped_column(String(200))   # as received (TIFF/PDF) or mailed (PDF)
    pdf_path: Mapped[str | None] = mapped_column(String(200))      # what the user sees
    tiff_path: Mapped[str | None] = mapped_column(String(200))     # out: fax pages for the gateway
    sender_email: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(200))
    auth_results: Mapped[dict | None] = mapped_column(JSON)
    inbound_message_id: Mapped[int | None] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_params: Mapped[dict | None] = mapped_column(JSON)   # the numbers its message names
    failure_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()

    pbx: Mapped[Pbx | None] = relationship()
    phone_user: Mapped[PhoneUser | None] = relationship()
    tries: Mapped[list["FaxAttempt"]] = relationship(back_populates="fax", order_by="FaxAttempt.number",
                                                    cascade="all, delete-orphan")

    __tenant_scope__ = staticmethod(_fax_scope)


class FaxAttempt(db.Model):
    """One dialling of an outgoing fax, as the gateway reported it."""
    __tablename__ = "fax_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    fax_id: Mapped[int] = mapped_column(ForeignKey("fax.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    ok: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[Reason | None] = mapped_column(enum_column(Reason))
    pages_sent: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    remote_station: Mapped[str | None] = mapped_column(String(40))

    fax: Mapped[Fax] = relationship(back_populates="tries")
    __tenant_scope__ = staticmethod(lambda login, customers: FaxAttempt.fax_id.in_(
        db.select(Fax.id).where(_fax_scope(login, customers))))


class FaxSettings(db.Model):
    """A Volle user's fax options (the innovaphone Fax app's five, and the language of their fax mail)."""
    __tablename__ = "fax_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_user_id: Mapped[int] = mapped_column(ForeignKey("phone_user.id", ondelete="CASCADE"), unique=True)
    notify_incoming: Mapped[bool] = mapped_column(Boolean, default=True)
    attach_pdf: Mapped[bool] = mapped_column(Boolean, default=True)
    send_confirmation: Mapped[bool] = mapped_column(Boolean, default=True)
    report_pdf: Mapped[bool] = mapped_column(Boolean, default=True)
    error_mail: Mapped[bool] = mapped_column(Boolean, default=True)
    cover_page: Mapped[bool] = mapped_column(Boolean, default=False)  # a cover page from the mail's subject and text
    language: Mapped[str | None] = mapped_column(String(5))  # None: the user's language

    phone_user: Mapped[PhoneUser] = relationship()
    __tenant_scope__ = staticmethod(lambda login, customers: FaxSettings.phone_user_id.in_(
        db.select(PhoneUser.id).where(PhoneUser.pbx_id.in_(pbx_ids_of(customers)))))


class FaxGatewayToken(BearerToken, db.Model):
    """The fax gateway's bearer token (staff-issued): hands in received faxes, pulls jobs, reports attempts."""
    __tablename__ = "fax_gateway_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))

    __tenant_scope__ = staticmethod(lambda login, customers: db.false())

    def principal(self) -> TokenPrincipal:
        """The gateway serves the whole platform; it sees only what the fax API hands it."""
        return TokenPrincipal(self)

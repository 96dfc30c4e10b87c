"""Voicemail: the PBX's store credentials, the messages (one row per recording, written before the PUT is
answered), per-user mail settings and the retention period per customer."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import clock
from console.accounts.models import Pbx, PhoneUser
from console.audit.recorder import Audited
from console.auth.models import Role
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import BearerToken
from console.db import enum_column
from console.extensions import db

__all__ = ["VoicemailToken", "Voicemail", "VoicemailState", "VoicemailSettings", "VoicemailRetention"]

DEFAULT_RETENTION_DAYS = 30


def _by_pbx(column):
    return staticmethod(lambda login, customers: column.in_(pbx_ids_of(customers)))


class VoicemailToken(BearerToken, Audited, db.Model):
    """The password of a PBX's voicemail store (HTTP Basic: the PBX's name and this token) and of
    POST /api/v1/voicemail (as a bearer token). Only the hash is kept (console.auth.tokens)."""
    __tablename__ = "voicemail_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))

    pbx: Mapped[Pbx] = relationship()

    __tenant_scope__ = _by_pbx(pbx_id)

    def principal(self) -> TokenPrincipal:
        return TokenPrincipal(self, pbx_id=self.pbx_id)


class VoicemailState(enum.Enum):
    STORED = "stored"          # bytes on disk, row committed; waiting for the job
    PROCESSING = "processing"  # claimed by a job run (lease_until says until when)
    MAILED = "mailed"          # the mail (or the notice) is in the outbox
    REFUSED = "refused"        # bad input: `reason` says which; kept for staff
    FAILED = "failed"          # retries ran out; staff see `detail`


#: Refusal reasons, each with its own answer (API) and its own line on the staff page.
REASONS = ("unknown_mailbox", "no_package", "undecodable", "duration_mismatch", "too_large")


def _voicemail_scope(login, customers):
    if getattr(login, "role", None) is Role.END_USER:
        return Voicemail.phone_user_id == login.phone_user_id
    return Voicemail.pbx_id.in_(pbx_ids_of(customers))


class Voicemail(db.Model):
    """One recording as the PBX (or the API) delivered it. `path` is relative to the PBX's own tree."""
    __tablename__ = "voicemail"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    phone_user_id: Mapped[int | None] = mapped_column(ForeignKey("phone_user.id"), index=True)
    mailbox: Mapped[str] = mapped_column(String(40))
    path: Mapped[str | None] = mapped_column(String(500))   # in the PBX's tree; None once deleted or refused
    codec: Mapped[str] = mapped_column(String(10))           # g711a | g711u | wav | g722 | opus
    size: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(10), default="dav")   # dav | api
    caller_number: Mapped[str | None] = mapped_column(String(40))     # E.164 when it parsed, else as given
    caller_name: Mapped[str | None] = mapped_column(String(200))      # from the PBX, the API or the directory
    called_number: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    claimed_seconds: Mapped[float | None] = mapped_column(Float)      # what the sender said
    duration_seconds: Mapped[float | None] = mapped_column(Float)     # what decoding found
    state: Mapped[VoicemailState] = mapped_column(enum_column(VoicemailState), default=VoicemailState.STORED,
                                                  index=True)
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    mailed_at: Mapped[datetime | None] = mapped_column()
    heard_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbx: Mapped[Pbx] = relationship()
    user: Mapped[PhoneUser | None] = relationship()

    __tenant_scope__ = staticmethod(_voicemail_scope)

    @property
    def key(self) -> str:
        """The outbox key: one mail per message, however often the job runs."""
        return f"voicemail:{self.id}"


class VoicemailSettings(Audited, db.Model):
    """A user's voicemail-to-e-mail settings; without a row the defaults hold (own address, attach, keep)."""
    __tablename__ = "voicemail_settings"
    phone_user_id: Mapped[int] = mapped_column(ForeignKey("phone_user.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))   # None: the user's own address
    attach: Mapped[bool] = mapped_column(Boolean, default=True)   # False: notify only, with a link
    delete_after_mail: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(5))  # None: the user's language

    user: Mapped[PhoneUser] = relationship()

    __tenant_scope__ = staticmethod(lambda login, customers: VoicemailSettings.phone_user_id.in_(
        _users_in(login, customers)))


def _users_in(login, customers):
    from sqlalchemy import select
    if getattr(login, "role", None) is Role.END_USER:
        return select(PhoneUser.id).where(PhoneUser.id == login.phone_user_id)
    return select(PhoneUser.id).where(PhoneUser.pbx_id.in_(pbx_ids_of(customers)))


class VoicemailRetention(Audited, db.Model):
    """How long a customer's messages are kept in the inbox and the store."""
    __tablename__ = "voicemail_retention"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_DAYS)

    __tenant_scope__ = staticmethod(lambda login, customers: VoicemailRetention.customer_id.in_(customers))

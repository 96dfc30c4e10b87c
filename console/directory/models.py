"""What the phonebooks keep in SQL: PBX lookup tokens, stored imports, Exchange accounts and their sync runs.

The entries themselves live in LDAP (console.directory.books).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import clock
from console.db import enum_column
from console.accounts.models import Customer, Pbx
from console.audit.recorder import Audited
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import BearerToken
from console.extensions import db

__all__ = ["DirectoryToken", "DirectoryImport", "ExchangeAccount", "ExchangeFolderState", "SyncRun"]


def _by_pbx(column):
    return staticmethod(lambda login, customers: column.in_(pbx_ids_of(customers)))


class DirectoryToken(BearerToken, Audited, db.Model):
    """A bearer token a PBX (or a voicemail server) uses for GET /api/v1/directory/lookup. Only the hash is kept
    (console.auth.tokens)."""
    __tablename__ = "directory_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    pbx: Mapped[Pbx] = relationship()

    __tenant_scope__ = _by_pbx(pbx_id)

    def principal(self) -> TokenPrincipal:
        return TokenPrincipal(self, pbx_id=self.pbx_id)


class DirectoryImport(db.Model):
    """An uploaded CSV/vCard file, stored before it is parsed; applied only when the user confirms."""
    __tablename__ = "directory_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("phone_user.id"), index=True)  # private book
    login_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))  # csv | vcard
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    applied_at: Mapped[datetime | None] = mapped_column()
    duplicates: Mapped[str | None] = mapped_column(String(10))  # skip | update, chosen on confirm
    result: Mapped[str | None] = mapped_column(Text)  # JSON summary of the last run

    pbx: Mapped[Pbx] = relationship()

    __tenant_scope__ = _by_pbx(pbx_id)


class ExchangeAccount(Audited, db.Model):
    """A customer's Exchange (EWS) account hosted by stimme, synced into the shared book (§4.2)."""
    __tablename__ = "exchange_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    endpoint: Mapped[str] = mapped_column(String(500))  # https://…/EWS/Exchange.asmx
    username: Mapped[str] = mapped_column(String(254))
    mailbox: Mapped[str] = mapped_column(String(254))  # primary SMTP address
    secret: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token of the password; never shown again
    folders: Mapped[str] = mapped_column(String(500), default="")  # contact folder names, one per line; "" = Contacts
    include_gal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # the global address list
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship()

    __tenant_scope__ = staticmethod(lambda login, customers: ExchangeAccount.customer_id.in_(customers))

    @property
    def folder_names(self) -> list[str]:
        return [f.strip() for f in self.folders.splitlines() if f.strip()] or ["Contacts"]


class ExchangeFolderState(db.Model):
    """The sync state exchangelib returned for one folder, stored once the generator was fully consumed."""
    __tablename__ = "exchange_folder_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_account.id", ondelete="CASCADE"), index=True)
    folder: Mapped[str] = mapped_column(String(200))
    sync_state: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    __table_args__ = (UniqueConstraint("account_id", "folder"),)


class SyncStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SyncRun(db.Model):
    """One Exchange sync: requested (by a person or the schedule), running with progress, then its report."""
    __tablename__ = "exchange_sync_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("exchange_account.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[SyncStatus] = mapped_column(enum_column(SyncStatus), default=SyncStatus.QUEUED)
    trigger: Mapped[str] = mapped_column(String(10), default="manual")  # manual|schedule
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)  # items expected, when the server says (full syncs)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[str | None] = mapped_column(Text)  # skipped items with reasons, one per line
    error: Mapped[str | None] = mapped_column(Text)

    account: Mapped[ExchangeAccount] = relationship()

    @property
    def active(self) -> bool:
        return self.status in (SyncStatus.QUEUED, SyncStatus.RUNNING)

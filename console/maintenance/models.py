"""A maintenance window, the PBXs it affects, its notices' bookkeeping, feed tokens and opt-ins."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.db import enum_column
from console import clock
from console.accounts.models import Pbx, Reseller
from console.audit.recorder import Audited
from console.auth.models import Role
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import UrlSecret
from console.extensions import db


class WindowKind(enum.Enum):
    REGULAR = "regular"      # §7.2: outside business hours, announced a week ahead (§7.3)
    EMERGENCY = "emergency"  # §7.4: fault or security risk, announced at least an hour ahead


class EmergencyReason(enum.Enum):
    FAULT = "fault"
    SECURITY = "security"


class WindowState(enum.Enum):
    PLANNED = "planned"          # waiting for its announcement time
    ANNOUNCED = "announced"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MISSED = "missed"            # its announcement deadline passed before it went out: never announced late


window_pbx = Table(
    "maintenance_window_pbx", db.metadata,
    Column("window_id", ForeignKey("maintenance_window.id", ondelete="CASCADE"), primary_key=True),
    Column("pbx_id", ForeignKey("pbx.id", ondelete="CASCADE"), primary_key=True),
)


class MaintenanceWindow(Audited, db.Model):
    __tablename__ = "maintenance_window"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True,
                                     default=lambda: f"{secrets.token_hex(16)}@stimme-console")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, raised on every change
    kind: Mapped[WindowKind] = mapped_column(enum_column(WindowKind))
    reason: Mapped[EmergencyReason | None] = mapped_column(enum_column(EmergencyReason))
    state: Mapped[WindowState] = mapped_column(enum_column(WindowState), default=WindowState.PLANNED, index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    # When the announcement is to be queued; the scheduler does it (or the service at once when due now).
    announce_at: Mapped[datetime] = mapped_column()
    announced_at: Mapped[datetime | None] = mapped_column()
    announced_ends_at: Mapped[datetime | None] = mapped_column()  # the end as announced in time (availability)
    reminded_at: Mapped[datetime | None] = mapped_column()  # the day-before reminder of a regular window
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    title_de: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_de: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    completion_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbxs: Mapped[list[Pbx]] = relationship(secondary=window_pbx, order_by=Pbx.name)

    # Resellers, customer admins and end users see the windows that affect their PBXs, and platform-wide ones.
    __tenant_scope__ = staticmethod(
        lambda login, customers: affects_pbx_clause(pbx_ids_of(customers)))

    @property
    def platform_wide(self) -> bool:
        return not self.pbxs

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_de

    def description(self, language: str) -> str:
        return self.description_en if language == "en" and self.description_en else self.description_de

    def __str__(self) -> str:
        return f"{self.title_de} ({self.starts_at:%Y-%m-%d %H:%M} UTC)"


class FeedToken(UrlSecret, db.Model):
    """The secret in a reseller's subscribable ICS and Atom feed URLs: only its selector is stored, the secret
    is derived from it (console.auth.tokens)."""
    __tablename__ = "maintenance_feed_token"
    SECRET_PURPOSE = "maintenance-feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    reseller: Mapped[Reseller] = relationship()

    __tenant_scope__ = staticmethod(lambda login, customers: FeedToken.reseller_id == login.reseller_id
                                    if login.role is Role.RESELLER else false())

    def principal(self) -> TokenPrincipal:
        return TokenPrincipal(self, reseller_id=self.reseller_id)


class NoticeOptIn(db.Model):
    """A customer admin who asked to receive maintenance notices for their PBX (resellers always get them, §7.5)."""
    __tablename__ = "maintenance_notice_opt_in"
    login_id: Mapped[int] = mapped_column(ForeignKey("login.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


def affects_pbx_clause(pbx_ids):
    """Windows that are platform-wide or name one of the given PBXs (a subquery or list of ids)."""
    named = select(window_pbx.c.window_id).where(window_pbx.c.pbx_id.in_(pbx_ids))
    any_named = select(window_pbx.c.window_id)
    return MaintenanceWindow.id.in_(named) | MaintenanceWindow.id.not_in(any_named)

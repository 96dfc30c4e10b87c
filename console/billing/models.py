"""The price list, the monthly runs and their statement lines (§2 billing, §7.11 on-site work)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console import clock
from console.accounts.models import Customer, Reseller
from console.audit.recorder import Audited
from console.auth.scope import TokenPrincipal
from console.auth.tokens import BearerToken
from console.db import enum_column
from console.extensions import db

ONSITE_HOUR = "onsite_hour"  # the price list's item for the hourly rate of on-site work


class RunState(enum.Enum):
    DRAFT = "draft"   # follows the history on every re-run
    FINAL = "final"   # frozen: never changes again


class LineKind(enum.Enum):
    LICENCE = "licence"        # a month's peak × unit price
    ONSITE = "onsite"          # one on-site time entry (§7.11)
    ADJUSTMENT = "adjustment"  # the difference for an earlier, finalised month


class Price(Audited, db.Model):
    """A net price in cents for one item, valid from a date; a date inside a month takes effect the month after."""
    __tablename__ = "billing_price"
    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(20))  # a peaks.ITEMS entry or ONSITE_HOUR
    valid_from: Mapped[date] = mapped_column(Date)
    cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    __table_args__ = (UniqueConstraint("item", "valid_from"),)


class BillingRun(Audited, db.Model):
    __tablename__ = "billing_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    state: Mapped[RunState] = mapped_column(enum_column(RunState), default=RunState.DRAFT)
    drafted_at: Mapped[datetime] = mapped_column(default=clock.now)
    finalised_at: Mapped[datetime | None] = mapped_column()
    finalised_by: Mapped[str | None] = mapped_column(String(300))

    lines: Mapped[list["StatementLine"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="StatementLine.id")

    __table_args__ = (UniqueConstraint("year", "month"),)  # one run per month: a missed run is caught up once

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class StatementLine(Audited, db.Model):
    __tablename__ = "billing_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_run.id", ondelete="CASCADE"), index=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind))
    item: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)        # licences, or minutes for on-site work
    unit_cents: Mapped[int] = mapped_column(Integer)      # per licence, or per hour for on-site work
    amount_cents: Mapped[int] = mapped_column(Integer)
    incident_number: Mapped[str | None] = mapped_column(String(20))
    worked_on: Mapped[date | None] = mapped_column(Date)
    # An adjustment names the finalised month it corrects and why.
    corrects: Mapped[str | None] = mapped_column(String(7))  # "YYYY-MM"
    reason: Mapped[str | None] = mapped_column(String(300))

    run: Mapped[BillingRun] = relationship(back_populates="lines")
    reseller: Mapped[Reseller] = relationship()
    customer: Mapped[Customer | None] = relationship()


class BillingToken(BearerToken, Audited, db.Model):
    """Staff-issued bearer token for the accounting system: reads finalised statements, nothing else."""
    __tablename__ = "billing_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))
    issued_by: Mapped[str] = mapped_column(String(300))

    def principal(self) -> TokenPrincipal:
        """The accounting system: no tenant of its own; it reads finalised statements of every reseller."""
        return TokenPrincipal(self)

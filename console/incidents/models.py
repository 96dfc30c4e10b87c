"""Fault reports (§7.8, §7.9), their history, time, attachments; outages (§7.6); API tokens; SLA targets.

SLA deadlines are never stored as facts: they are derived from the state history (IncidentEvent) by
console.incidents.sla. The incident only keeps a cache of the result (sla_due_at, sla_breached) so the
list can filter on it; `recompute_sla()` rebuilds it from the history at any time.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Column, Date, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Table, Text, false, or_, select)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.db import enum_column
from console import clock
from console.accounts.models import Customer, Pbx, Reseller, Site
from console.audit.recorder import Audited
from console.auth.models import Login, Role
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import BearerToken
from console.extensions import db

__all__ = ["Incident", "IncidentEvent", "TimeEntry", "IncidentAttachment", "SlaTarget", "Outage", "ApiToken",
           "incident_site", "outage_pbx", "outage_incident"]


class State(enum.Enum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"          # waiting for the reseller: the SLA clocks stop
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.WAITING)
PAUSED_STATES = (State.WAITING, State.RESOLVED, State.CLOSED)


class Priority(enum.Enum):
    P1 = "P1"   # total outage
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Category(enum.Enum):
    NO_INCOMING = "no_incoming"
    NO_OUTGOING = "no_outgoing"
    AUDIO = "audio"                  # one-way or no audio
    VOICE_QUALITY = "voice_quality"
    REGISTRATION = "registration"
    FEATURE = "feature"
    FAX = "fax"
    VOICEMAIL = "voicemail"
    PHONEBOOK = "phonebook"
    OTHER = "other"


class Impact(enum.Enum):
    PBX = "pbx"
    SITE = "site"
    SOME_USERS = "some_users"
    ONE_USER = "one_user"


class Pattern(enum.Enum):
    CONTINUING = "continuing"
    INTERMITTENT = "intermittent"


class Channel(enum.Enum):
    FORM = "form"
    API = "api"
    MAIL = "mail"


class EventKind(enum.Enum):
    CREATED = "created"
    STATE = "state"
    PRIORITY = "priority"
    ASSIGNED = "assigned"
    REPLY = "reply"          # public: mailed to the reporter, counts as response/update for the SLA
    NOTE = "note"            # internal: staff only
    MERGED = "merged"
    COMPLETED = "completed"  # an unqualified report was completed


incident_site = Table(
    "incident_site", db.Model.metadata,
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("site.id"), primary_key=True),
)


def _incident_scope(login: Login, customers):
    if login.role is Role.RESELLER:
        return Incident.reseller_id == login.reseller_id
    return false()  # customer admins and end users report through their reseller (§7.9)


class Incident(Audited, db.Model):
    __tablename__ = "incident"
    __tenant_scope__ = staticmethod(_incident_scope)
    # The tsvector column exists only for PostgreSQL's GIN index; it is written by console.incidents.search.
    __mapper_args__ = {"exclude_properties": ["search_vector"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    pbx_id: Mapped[int | None] = mapped_column(ForeignKey("pbx.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="de")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    impact: Mapped[Impact | None] = mapped_column(enum_column(Impact))
    affected_numbers: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime | None] = mapped_column()
    pattern: Mapped[Pattern | None] = mapped_column(enum_column(Pattern))
    reproduction: Mapped[str | None] = mapped_column(Text)
    example_calls: Mapped[list] = mapped_column(JSON, default=list)  # [{"at": iso, "from": e164, "to": e164}]
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    delay_ms: Mapped[float | None] = mapped_column(Float)
    jitter_ms: Mapped[float | None] = mapped_column(Float)
    loss_percent: Mapped[float | None] = mapped_column(Float)
    qualified: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_fields: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[State] = mapped_column(enum_column(State), default=State.NEW, index=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.P3, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"), unique=True)
    # Cache of console.incidents.sla for list filters and the warning job; recomputable from the history.
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_vector = Column(TSVECTOR().with_variant(Text(), "sqlite"))

    reseller: Mapped[Reseller] = relationship()
    customer: Mapped[Customer | None] = relationship()
    pbx: Mapped[Pbx | None] = relationship()
    assignee: Mapped[Login | None] = relationship(foreign_keys=[assignee_id])
    reported_by: Mapped[Login | None] = relationship(foreign_keys=[reported_by_id])
    sites: Mapped[list[Site]] = relationship(secondary=incident_site, order_by=Site.name)
    events: Mapped[list["IncidentEvent"]] = relationship(back_populates="incident", order_by="IncidentEvent.id",
                                                         cascade="all, delete-orphan")
    merged_into: Mapped["Incident | None"] = relationship(remote_side=[id])
    inbound_message: Mapped["InboundMessage | None"] = relationship(viewonly=True)  # a mailed report's mail

    __table_args__ = (Index("ix_incident_search_vector", "search_vector", postgresql_using="gin"),)

    def __str__(self) -> str:
        return f"{self.number or '?'} {self.title}"


class IncidentEvent(db.Model):
    """Append-only timeline: state changes (the SLA clocks' source), replies, notes, assignments."""
    __tablename__ = "incident_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"))
    actor_label: Mapped[str] = mapped_column(String(300), default="system")
    old_value: Mapped[str | None] = mapped_column(String(40))
    new_value: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str | None] = mapped_column(Text)
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False)

    incident: Mapped[Incident] = relationship(back_populates="events")

    @property
    def public(self) -> bool:
        return self.kind is not EventKind.NOTE


class TimeEntry(Audited, db.Model):
    """Work time; on-site work is billable (§7.11), remote work in service hours is not."""
    __tablename__ = "incident_time_entry"
    __tenant_scope__ = staticmethod(lambda login, customers: TimeEntry.incident_id.in_(
        select(Incident.id).where(_incident_scope(login, customers))))
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    login_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"))
    worked_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    on_site: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    incident: Mapped[Incident] = relationship()
    login: Mapped[Login | None] = relationship()


class IncidentAttachment(db.Model):
    """A screenshot or packet capture, stored as received (size and type checked first)."""
    __tablename__ = "incident_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)


class SlaTarget(Audited, db.Model):
    """Targets per priority in service minutes; a priority without a row uses console.incidents.sla.DEFAULTS."""
    __tablename__ = "incident_sla_target"
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), primary_key=True)
    response_minutes: Mapped[int] = mapped_column(Integer)
    update_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)

    @property
    def id(self) -> str:
        return self.priority.value

    def __str__(self) -> str:
        return f"SLA {self.priority.value}"


outage_pbx = Table(
    "outage_pbx", db.Model.metadata,
    Column("outage_id", ForeignKey("outage.id", ondelete="CASCADE"), primary_key=True),
    Column("pbx_id", ForeignKey("pbx.id"), primary_key=True),
)

outage_incident = Table(
    "outage_incident", db.Model.metadata,
    Column("outage_id", ForeignKey("outage.id", ondelete="CASCADE"), primary_key=True),
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
)


class Outage(Audited, db.Model):
    """An unplanned outage recorded by staff: the whole platform (no PBXs) or the named PBXs (§7.6)."""
    __tablename__ = "outage"
    __tenant_scope__ = staticmethod(lambda login, customers: or_(
        Outage.platform_wide.is_(True),
        Outage.id.in_(select(outage_pbx.c.outage_id).where(outage_pbx.c.pbx_id.in_(pbx_ids_of(customers))))))
    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime | None] = mapped_column()
    platform_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbxs: Mapped[list[Pbx]] = relationship(secondary=outage_pbx, order_by=Pbx.name)
    incidents: Mapped[list[Incident]] = relationship(secondary=outage_incident, order_by=Incident.id)

    def __str__(self) -> str:
        return f"Outage {self.start:%Y-%m-%d %H:%M}"


class ApiToken(BearerToken, Audited, db.Model):
    """A bearer token for one reseller's API access; only its SHA-256 is stored (console.auth.tokens)."""
    __tablename__ = "incident_api_token"
    __tenant_scope__ = staticmethod(lambda login, customers: ApiToken.reseller_id == login.reseller_id
                                    if login.role is Role.RESELLER else false())
    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))  # shown to staff to tell tokens apart

    reseller: Mapped[Reseller] = relationship()

    def principal(self) -> TokenPrincipal:
        return TokenPrincipal(self, reseller_id=self.reseller_id)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

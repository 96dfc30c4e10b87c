"""Resellers own customers; a customer has one PBX with its licence, sites, trunks and phone users."""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.db import enum_column
from console import clock
from console.audit.recorder import Audited
from console.bounds import is_ascii_digits
from console.extensions import db
from console.phone import pretty

DEMO_DAYS = 28




class LicenceKind(enum.Enum):
    BASE = "base"            # §2.1 Grundlizenz
    EXTENDED = "extended"    # §2.2 erweiterte Grundlizenz with rented IP411 gateway
    DEMO = "demo"            # §2.3 Demolizenz: 3 users, 1 trunk, 4 weeks, staff only


class Package(enum.Enum):
    """Cumulative packages (§4): each includes everything of the one before it."""
    KLARE = "klare"
    KLINGENDE = "klingende"
    VOLLE = "volle"

    @property
    def level(self) -> int:
        return list(Package).index(self)

    def includes(self, other: "Package") -> bool:
        return self.level >= other.level


class TrunkKind(enum.Enum):
    SIP = "sip"
    ISDN = "isdn"


class Provider(enum.Enum):
    PEOPLEFONE = "peoplefone"
    TELEKOM = "telekom"
    PLUSNET = "plusnet"
    OTHER = "other"


class Reseller(Audited, db.Model):
    __tablename__ = "reseller"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    notice_email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customers: Mapped[list["Customer"]] = relationship(back_populates="reseller", order_by="Customer.name")

    def __str__(self) -> str:
        return self.name


class Customer(Audited, db.Model):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("reseller.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    reseller: Mapped[Reseller] = relationship(back_populates="customers")
    pbx: Mapped["Pbx | None"] = relationship(back_populates="customer", uselist=False)

    def __str__(self) -> str:
        return self.name


class Pbx(Audited, db.Model):
    """The customer's one PBX ("Telefonanlage") and its licence."""
    __tablename__ = "pbx"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # e.g. the PBX's host name
    country: Mapped[str] = mapped_column(String(2), default="DE")  # default region for numbers
    licence: Mapped[LicenceKind] = mapped_column(enum_column(LicenceKind))
    licence_start: Mapped[date] = mapped_column(Date)
    gateway_serial: Mapped[str | None] = mapped_column(String(40))  # the rented IP411 (extended licence)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship(back_populates="pbx")
    sites: Mapped[list["Site"]] = relationship(back_populates="pbx", order_by="(Site.is_main.desc(), Site.name)")
    users: Mapped[list["PhoneUser"]] = relationship(back_populates="pbx", order_by="PhoneUser.extension")

    @property
    def demo_end(self) -> date | None:
        """Last day a demo licence is valid: 28 days including the start day (§2.3: four weeks)."""
        if self.licence is not LicenceKind.DEMO:
            return None
        return self.licence_start + timedelta(days=DEMO_DAYS - 1)

    def demo_expired(self, today: date | None = None) -> bool:
        end = self.demo_end
        return end is not None and (today or clock.today_berlin()) > end

    def __str__(self) -> str:
        return self.name


class Site(Audited, db.Model):
    """A location ("Standort") with its postal address; the first is the main site, others are §2.4 options."""
    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="DE")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbx: Mapped[Pbx] = relationship(back_populates="sites")
    trunk: Mapped["Trunk | None"] = relationship(back_populates="site", uselist=False)

    __table_args__ = (UniqueConstraint("pbx_id", "name"),)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    def __str__(self) -> str:
        return self.name


class Trunk(Audited, db.Model):
    """At most one per site: SIP with a provider (§3.1) or ISDN through a gateway (§3.2).

    The number block is a base number in E.164 plus a range of extension digits,
    e.g. +49 30 1234567-0 … -99 is base "+49301234567", first "0", last "99".
    """
    __tablename__ = "trunk"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), unique=True)
    kind: Mapped[TrunkKind] = mapped_column(enum_column(TrunkKind))
    provider: Mapped[Provider | None] = mapped_column(enum_column(Provider))
    provider_name: Mapped[str | None] = mapped_column(String(100))  # when provider is OTHER
    base_number: Mapped[str] = mapped_column(String(20))
    first_extension: Mapped[str] = mapped_column(String(6))
    last_extension: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    site: Mapped[Site] = relationship(back_populates="trunk")

    def covers(self, extension: str) -> bool:
        """Whether an extension lies in the block (numerically, with a length between the bounds')."""
        if not is_ascii_digits(extension):
            return False
        return (len(self.first_extension) <= len(extension) <= len(self.last_extension)
                and int(self.first_extension) <= int(extension) <= int(self.last_extension))

    def number_for(self, extension: str) -> str:
        return self.base_number + extension

    @property
    def block_label(self) -> str:
        return f"{pretty(self.base_number)}-{self.first_extension} … -{self.last_extension}"

    @property
    def provider_label(self) -> str:
        if self.kind is TrunkKind.ISDN:
            return "ISDN"
        if self.provider is Provider.OTHER:
            return self.provider_name or "?"
        return self.provider.value.capitalize() if self.provider else "?"


class PhoneUser(Audited, db.Model):
    """A person with an extension on the PBX — not a login (see console.auth.models.Login)."""
    __tablename__ = "phone_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(6))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="de")
    package: Mapped[Package] = mapped_column(enum_column(Package))
    # personal fax number, Volle only (§4.3): in the block of the user's trunk, unique on the platform
    fax_number: Mapped[str | None] = mapped_column(String(20), index=True, unique=True)
    home_office: Mapped[bool] = mapped_column(Boolean, default=False)
    # §3.3: when the customer told this user to use another phone for emergency calls away from the site.
    emergency_notice_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbx: Mapped[Pbx] = relationship(back_populates="users")
    site: Mapped[Site] = relationship()

    __table_args__ = (UniqueConstraint("pbx_id", "extension"),)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def number(self) -> str | None:
        trunk = self.site.trunk if self.site else None
        return trunk.number_for(self.extension) if trunk else None

    def __str__(self) -> str:
        return f"{self.name} ({self.extension})"


class LicenceEventKind(enum.Enum):
    USER_ADDED = "user_added"
    USER_REMOVED = "user_removed"
    PACKAGE_CHANGED = "package_changed"
    LICENCE_CHANGED = "licence_changed"
    SITE_ADDED = "site_added"
    SITE_REMOVED = "site_removed"


class LicenceEvent(db.Model):
    """Append-only history of everything billing counts, so any month's peak can be recomputed (§2)."""
    __tablename__ = "licence_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[LicenceEventKind] = mapped_column(enum_column(LicenceEventKind))
    # The phone user or site concerned; no foreign key, the history outlives deleted rows.
    subject_id: Mapped[int | None] = mapped_column(Integer)
    old_value: Mapped[str | None] = mapped_column(String(20))
    new_value: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class Feature(enum.Enum):
    """What a package unlocks; the value is the smallest package that includes it (§4)."""
    VOICEMAIL_TO_MAIL = Package.KLINGENDE   # §4.2
    UC_CLIENT = Package.KLINGENDE           # §4.2
    FAX = Package.VOLLE                     # §4.3 fax server, personal fax number, fax-to-mail, mail-to-fax
    SOFTPHONE = Package.VOLLE               # §4.3


def user_has(user: PhoneUser, feature: Feature) -> bool:
    """The package gate later features call: `user_has(user, Feature.FAX)`."""
    return user.package.includes(feature.value)

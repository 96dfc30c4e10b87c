"""Login accounts (separate from phone users) and the record of login attempts."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ColumnElement, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.db import enum_column
from console import clock
from console.audit.recorder import Audited
from console.accounts.models import Customer, PhoneUser, Reseller
from console.extensions import db


class Role(enum.Enum):
    STAFF_ADMIN = "staff_admin"
    STAFF_SUPPORT = "staff_support"
    RESELLER = "reseller"
    CUSTOMER_ADMIN = "customer_admin"
    END_USER = "end_user"

    @property
    def is_staff(self) -> bool:
        return self in STAFF_ROLES


STAFF_ROLES = (Role.STAFF_ADMIN, Role.STAFF_SUPPORT)


class Login(Audited, UserMixin, db.Model):
    """Someone who signs in. Bound to one reseller, customer or phone user, depending on the role."""
    __tablename__ = "login"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    reseller_id: Mapped[int | None] = mapped_column(ForeignKey("reseller.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    phone_user_id: Mapped[int | None] = mapped_column(ForeignKey("phone_user.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    reseller: Mapped[Reseller | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    phone_user: Mapped[PhoneUser | None] = relationship()

    # The key of the browser session this object was loaded for (console.auth.sessions); not a column.
    session_key = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the key of one LoginSession, never a lasting id."""
        if not self.session_key:
            raise RuntimeError("start a LoginSession (console.auth.sessions.start) before login_user()")
        return self.session_key

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @classmethod
    def active_staff(cls) -> ColumnElement[bool]:
        """WHERE clause: stimme staff who may sign in (assignees, recipients of staff notices)."""
        return cls.role.in_(STAFF_ROLES) & cls.active.is_(True)

    @property
    def tenant_label(self) -> str:
        if self.reseller_id or self.customer_id or self.phone_user_id:
            return str(self.reseller or self.customer or self.phone_user)
        return "stimme"  # staff: no relationship to load

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LoginSession(db.Model):
    """One signed-in browser. Its cookie carries a random key; only the key's SHA-256 is stored here.

    Signing out deletes the row, so a copy of the cookie is worth nothing afterwards; a new password or a
    deactivated login deletes the login's other rows."""
    __tablename__ = "login_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("login.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class LoginAttempt(db.Model):
    """Every sign-in attempt, for throttling by address and for staff to see."""
    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    # The nonce of the device cookie the attempt came with (console.auth.devices), if it had a valid one.
    device: Mapped[str | None] = mapped_column(String(32), index=True)

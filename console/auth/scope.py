"""Tenancy, enforced in one place: which rows a principal may see.

A principal is whoever acts: a signed-in `Login`, or a reseller or PBX behind a bearer token or URL secret
(`TokenPrincipal`, made by console.auth.tokens). Every query for customer-owned rows goes through `scoped()`,
and single objects are loaded with `get_or_404()` (or `find()` where the caller words its own 404): an object
outside the principal's tenancy does not exist for them (404, never 403).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar, Union

from flask import abort
from sqlalchemy import ColumnElement, Select, false, select, true

from console.accounts.models import Customer, PhoneUser, Pbx, Reseller, Site, Trunk
from console.auth.models import Login, Role
from console.extensions import db

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class TokenPrincipal:
    """A reseller (API token, feed secret) or a PBX (directory token, media secret) acting through `token`.

    It answers the questions tenant_clause asks of a login: never staff, a reseller's role for a reseller token,
    no login, customer or phone user of its own."""
    token: object
    reseller_id: int | None = None
    pbx_id: int | None = None
    is_staff: ClassVar[bool] = False
    id: ClassVar[None] = None
    customer_id: ClassVar[None] = None
    phone_user_id: ClassVar[None] = None

    @property
    def role(self) -> Role | None:
        return Role.RESELLER if self.reseller_id is not None else None

    @property
    def reseller(self) -> Reseller | None:
        return db.session.get(Reseller, self.reseller_id) if self.reseller_id is not None else None

    @property
    def pbx(self) -> Pbx | None:
        return db.session.get(Pbx, self.pbx_id) if self.pbx_id is not None else None


Principal = Union[Login, TokenPrincipal]


def visible_customer_ids(login: Principal) -> Select | None:
    """A subquery of the customer ids the principal may see, or None for staff (everything)."""
    if isinstance(login, TokenPrincipal):
        if login.reseller_id is not None:
            return select(Customer.id).where(Customer.reseller_id == login.reseller_id)
        return select(Pbx.customer_id).where(Pbx.id == login.pbx_id)
    if login.is_staff:
        return None
    if login.role is Role.RESELLER:
        return select(Customer.id).where(Customer.reseller_id == login.reseller_id)
    if login.role is Role.CUSTOMER_ADMIN:
        return select(Customer.id).where(Customer.id == login.customer_id)
    if login.role is Role.END_USER:
        return (select(Pbx.customer_id).join(PhoneUser, PhoneUser.pbx_id == Pbx.id)
                .where(PhoneUser.id == login.phone_user_id))
    return select(Customer.id).where(false())


def pbx_ids_of(customers: Select) -> Select:
    """The PBXs of the given customers (a subquery): what feature models scoped by PBX compare with."""
    return select(Pbx.id).where(Pbx.customer_id.in_(customers))


def tenant_clause(model: type, login: Principal) -> ColumnElement[bool]:
    """The WHERE clause that limits `model` to the principal's tenancy."""
    if login.is_staff:
        return true()
    customers = visible_customer_ids(login)
    if model is Reseller:
        return Reseller.id == login.reseller_id if login.role is Role.RESELLER else false()
    if model is Customer:
        return Customer.id.in_(customers)
    if model is Pbx:
        if isinstance(login, TokenPrincipal) and login.pbx_id is not None:
            return Pbx.id == login.pbx_id
        return Pbx.customer_id.in_(customers)
    if model is Site:
        return Site.pbx_id.in_(pbx_ids_of(customers))
    if model is Trunk:
        return Trunk.site_id.in_(select(Site.id).where(Site.pbx_id.in_(pbx_ids_of(customers))))
    if model is PhoneUser:
        if login.role is Role.END_USER:
            return PhoneUser.id == login.phone_user_id
        return PhoneUser.pbx_id.in_(pbx_ids_of(customers))
    if model is Login:
        return _login_clause(login, customers)
    scope = getattr(model, "__tenant_scope__", None)
    if scope is not None:  # feature models declare how they hang off a customer or PBX
        return scope(login, customers)
    raise TypeError(f"{model.__name__} has no tenancy rule; add one in console.auth.scope")


def _login_clause(login: Principal, customers: Select) -> ColumnElement[bool]:
    if isinstance(login, TokenPrincipal):
        return false()   # a token acts for a reseller or PBX, never sees accounts
    if login.role is Role.RESELLER:
        return (Login.reseller_id == login.reseller_id) | Login.customer_id.in_(customers) | \
            Login.phone_user_id.in_(select(PhoneUser.id).where(PhoneUser.pbx_id.in_(pbx_ids_of(customers))))
    if login.role is Role.CUSTOMER_ADMIN:
        return Login.customer_id.in_(customers) | \
            Login.phone_user_id.in_(select(PhoneUser.id).where(PhoneUser.pbx_id.in_(pbx_ids_of(customers))))
    return Login.id == login.id


def scoped(model: type[T], login: Principal) -> Select:
    """SELECT model rows that the principal may see."""
    return select(model).where(tenant_clause(model, login))


def find(model: type[T], object_id: int | None, login: Principal) -> T | None:
    """The object with this id if the principal may see it, else None."""
    if object_id is None:
        return None
    return db.session.scalar(scoped(model, login).where(model.id == object_id))


def get_or_404(model: type[T], object_id: int, login: Principal) -> T:
    obj = find(model, object_id, login)
    if obj is None:
        abort(404)
    return obj

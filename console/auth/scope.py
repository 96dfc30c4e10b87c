"""Tenancy, enforced in one place: which rows a login may see.

Every query for customer-owned rows goes through `scoped()`, and single objects are loaded with
`get_or_404()`: an object outside the caller's tenancy does not exist for them (404, never 403).
"""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from sqlalchemy import ColumnElement, Select, false, select, true

from console.accounts.models import Customer, PhoneUser, Pbx, Reseller, Site, Trunk
from console.auth.models import Login, Role
from console.extensions import db

T = TypeVar("T")


def visible_customer_ids(login: Login) -> Select | None:
    """A subquery of the customer ids the login may see, or None for staff (everything)."""
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


def _pbx_ids(customers: Select) -> Select:
    return select(Pbx.id).where(Pbx.customer_id.in_(customers))


def tenant_clause(model: type, login: Login) -> ColumnElement[bool]:
    """The WHERE clause that limits `model` to the login's tenancy."""
    if login.is_staff:
        return true()
    customers = visible_customer_ids(login)
    if model is Reseller:
        return Reseller.id == login.reseller_id if login.role is Role.RESELLER else false()
    if model is Customer:
        return Customer.id.in_(customers)
    if model is Pbx:
        return Pbx.customer_id.in_(customers)
    if model is Site:
        return Site.pbx_id.in_(_pbx_ids(customers))
    if model is Trunk:
        return Trunk.site_id.in_(select(Site.id).where(Site.pbx_id.in_(_pbx_ids(customers))))
    if model is PhoneUser:
        if login.role is Role.END_USER:
            return PhoneUser.id == login.phone_user_id
        return PhoneUser.pbx_id.in_(_pbx_ids(customers))
    if model is Login:
        return _login_clause(login, customers)
    scope = getattr(model, "__tenant_scope__", None)
    if scope is not None:  # feature models declare how they hang off a customer or PBX
        return scope(login, customers)
    raise TypeError(f"{model.__name__} has no tenancy rule; add one in console.auth.scope")


def _login_clause(login: Login, customers: Select) -> ColumnElement[bool]:
    if login.role is Role.RESELLER:
        return (Login.reseller_id == login.reseller_id) | Login.customer_id.in_(customers) | \
            Login.phone_user_id.in_(select(PhoneUser.id).where(PhoneUser.pbx_id.in_(_pbx_ids(customers))))
    if login.role is Role.CUSTOMER_ADMIN:
        return Login.customer_id.in_(customers) | \
            Login.phone_user_id.in_(select(PhoneUser.id).where(PhoneUser.pbx_id.in_(_pbx_ids(customers))))
    return Login.id == login.id


def scoped(model: type[T], login: Login) -> Select:
    """SELECT model rows that the login may see."""
    return select(model).where(tenant_clause(model, login))


def get_or_404(model: type[T], object_id: int, login: Login) -> T:
    obj = db.session.scalar(scoped(model, login).where(model.id == object_id))
    if obj is None:
        abort(404)
    return obj

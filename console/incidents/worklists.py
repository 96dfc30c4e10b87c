"""Saved worklists of the fault-report list (issue 14, after Zammad's "my tickets" and "escalating"): one
definition each, used by the list's ?view= and by the counts on the staff dashboard and above the list."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from console import clock, servicehours
from console.auth.models import Login
from console.auth.scope import scoped
from console.extensions import db
from console.incidents.models import OPEN_STATES, Incident, State

# "SLA due within the next service hours": the next deadline falls within this many service minutes from now
# (a quarter of a service day), or has already passed.
DUE_SOON_SERVICE_MINUTES = 2 * 60


@dataclass(frozen=True)
class Overview:
    key: str
    label: object
    staff_only: bool


OVERVIEWS = (
    Overview("mine", _l("Assigned to me"), True),
    Overview("unassigned", _l("Unassigned"), True),
    Overview("due", _l("SLA due within 2 service hours"), True),
    Overview("waiting", _l("Waiting for reseller"), False),
)
BY_KEY = {o.key: o for o in OVERVIEWS}


def available(login: Login) -> list[Overview]:
    return [o for o in OVERVIEWS if login.is_staff or not o.staff_only]


def restrict(query: Select, key: str, login: Login) -> Select:
    """The overview's condition added to a query of incidents; an unknown or foreign key changes nothing."""
    overview = BY_KEY.get(key)
    if overview is None or (overview.staff_only and not login.is_staff):
        return query
    if key == "waiting":
        return query.where(Incident.state == State.WAITING)
    query = query.where(Incident.state.in_(OPEN_STATES))
    if key == "mine":
        return query.where(Incident.assignee_id == login.id)
    if key == "unassigned":
        return query.where(Incident.assignee_id.is_(None))
    horizon = servicehours.add_service_minutes(clock.now(), DUE_SOON_SERVICE_MINUTES)
    return query.where(Incident.sla_due_at.is_not(None), Incident.sla_due_at <= horizon)


def counts(login: Login) -> list[tuple[Overview, int]]:
    """Each overview the login has, with how many reports it holds now."""
    result = []
    for overview in available(login):
        query = restrict(scoped(Incident, login), overview.key, login)
        result.append((overview, db.session.scalar(select(func.count()).select_from(query.subquery())) or 0))
    return result

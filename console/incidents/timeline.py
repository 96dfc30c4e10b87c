"""The timeline in words: who did what to whom, with people's display names and translated names.

The events keep raw values (state and channel values, login ids, the actor's e-mail address for the record);
this module turns them into sentences in the page's language: "Anna Schmidt hat die Meldung Ben Vogel
zugewiesen", "Status: In Bearbeitung → Wartet auf Reseller".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.auth.models import Login, Role
from console.extensions import db
from console.incidents.models import Channel, EventKind, Incident, IncidentEvent, State

STATE_LABELS = {State.NEW: _l("New"), State.IN_PROGRESS: _l("In progress"),
                State.WAITING: _l("Waiting for reseller"), State.RESOLVED: _l("Resolved"), State.CLOSED: _l("Closed")}
CHANNEL_LABELS = {Channel.FORM: _l("form"), Channel.API: _l("API"), Channel.MAIL: _l("e-mail")}
ROLE_LABELS = {Role.STAFF_ADMIN: _l("stimme admin"), Role.STAFF_SUPPORT: _l("stimme support"),
               Role.RESELLER: _l("reseller"), Role.CUSTOMER_ADMIN: _l("customer admin"),
               Role.END_USER: _l("end user")}


def state_name(value: str | None) -> str:
    try:
        return str(STATE_LABELS[State(value)])
    except ValueError:
        return value or "–"


def channel_name(value: str | None) -> str:
    try:
        return str(CHANNEL_LABELS[Channel(value)])
    except ValueError:
        return value or "–"


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str            # display name, with the role in words
    text: str           # the sentence
    body: str | None    # a reply, note, question or resolution note
    internal: bool
    kind: str


def _people(events: list[IncidentEvent]) -> dict[int, Login]:
    ids = {e.actor_id for e in events if e.actor_id}
    for e in events:
        if e.kind is EventKind.ASSIGNED:
            ids.update(int(v) for v in (e.old_value, e.new_value) if v and v.isdigit())
    if not ids:
        return {}
    return {login.id: login for login in db.session.scalars(select(Login).where(Login.id.in_(ids)))}


def _name(login: Login | None) -> str:
    return (login.name or _("a colleague")) if login is not None else _("nobody")


def entries(incident: Incident, events: list[IncidentEvent]) -> list[Entry]:
    people = _people(events)
    result = []
    for e in events:
        actor = people.get(e.actor_id) if e.actor_id else None
        if actor is not None:
            who = f"{_name(actor)} ({ROLE_LABELS[actor.role]})"
        elif e.kind is EventKind.CREATED:
            who = incident.reseller.name   # a mailed-in report: the reseller's mail, not a login
        else:
            who = _("System")
        result.append(Entry(at=e.at, who=who, text=_sentence(e, who, people), body=e.body,
                            internal=e.kind is EventKind.NOTE, kind=e.kind.value))
    return result


def _sentence(e: IncidentEvent, who: str, people: dict[int, Login]) -> str:
    name = who.split(" (")[0]
    if e.kind is EventKind.CREATED:
        text = _("%(who)s reported the fault (%(channel)s).", who=name, channel=channel_name(e.new_value))
        return text + (" " + _("Suggested urgency: %(priority)s.", priority=e.old_value) if e.old_value else "")
    if e.kind is EventKind.STATE:
        text = _("Status: %(old)s → %(new)s", old=state_name(e.old_value), new=state_name(e.new_value))
        return text + (" · " + _("Resolution note:") if e.body and e.new_value == State.RESOLVED.value else "")
    if e.kind is EventKind.PRIORITY:
        return _("Priority: %(old)s → %(new)s", old=e.old_value, new=e.new_value)
    if e.kind is EventKind.ASSIGNED:
        new = people.get(int(e.new_value)) if (e.new_value or "").isdigit() else None
        old = people.get(int(e.old_value)) if (e.old_value or "").isdigit() else None
        if new is None:
            return _("%(who)s removed the assignment to %(whom)s.", who=name, whom=_name(old))
        if new.id == e.actor_id:
            return _("%(who)s assigned the report to themselves.", who=name)
        return _("%(who)s assigned the report to %(whom)s.", who=name, whom=_name(new))
    if e.kind is EventKind.MERGED:
        return _("%(who)s merged the report into %(number)s.", who=name, number=e.new_value)
    if e.kind is EventKind.COMPLETED:
        return _("%(who)s completed the report.", who=name)
    if e.kind is EventKind.NOTE:
        return _("%(who)s wrote an internal note:", who=name)
    return _("%(who)s replied:", who=name)

"""The agent's desk on one fault report (issue 14): the attribute panel saved at once, and the reply composer
that sends, sets the state and records time in one submit. Services: they change rows, queue mail through the
incident services and flush — the view commits."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.auth.models import Login
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services
from console.incidents.models import Incident, Priority, State, TimeEntry

NEEDS_QUESTION = _l("Waiting for the reseller needs a question: write it as a public reply below and choose "
                    "“Waiting for reseller” as the state after sending.")
NEEDS_NOTE = _l("Write a short resolution note: the reseller receives it.")


def update_attributes(incident: Incident, actor: Login, *, state: State, priority: Priority,
                      assignee: Login | None, resolution_note: str | None = None) -> bool:
    """State, priority and assignee from one panel; returns whether anything changed. Refused as a whole."""
    note = (resolution_note or "").strip()
    if state is not incident.state:
        if state is State.WAITING:
            raise RuleViolation(state=NEEDS_QUESTION)
        if state is State.RESOLVED and not note:
            raise RuleViolation(resolution_note=NEEDS_NOTE)
        if state not in services.TRANSITIONS[incident.state]:
            services.change_state(incident, state, actor)   # raises the transition's own message
    changed = False
    if (assignee.id if assignee else None) != incident.assignee_id:
        services.assign(incident, assignee, actor)
        changed = True
    if priority is not incident.priority:
        services.set_priority(incident, priority, actor)
        changed = True
    if state is not incident.state:
        services.change_state(incident, state, actor, note=note if state is State.RESOLVED else None)
        changed = True
    return changed


def send(incident: Incident, actor: Login, *, body: str, internal: bool = False, state_after: State | None = None,
         minutes: int | None = None, on_site: bool = False, resolution_note: str | None = None) -> None:
    """A public reply or an internal note, the state after sending, and time spent — together or not at all.

    Waiting for the reseller takes the public reply as the question (one mail: the question with the answer
    link); resolving takes the resolution note, or else the public reply, as the note the reseller receives."""
    body = (body or "").strip()
    if not actor.is_staff:
        internal, state_after, minutes = False, None, None   # resellers reply; the rest is staff work
    if not body and not minutes and state_after is None:
        raise RuleViolation(body=_l("Write a reply."))
    if minutes is not None and not 0 < minutes <= 24 * 60:
        raise RuleViolation(minutes=_l("Give the minutes worked, between 1 and 1440."))
    note = (resolution_note or "").strip() or (body if not internal else "")
    if state_after is State.WAITING and (internal or not body):
        raise RuleViolation(state_after=NEEDS_QUESTION)
    if state_after is State.RESOLVED and not note:
        raise RuleViolation(resolution_note=NEEDS_NOTE)
    if body and internal:
        services.add_note(incident, body, actor)
    elif body:
        # the state mail carries the text when the state changes to waiting or resolved: one mail, not two
        services.add_reply(incident, body, actor, mail=state_after not in (State.WAITING, State.RESOLVED))
    if state_after is not None and state_after is not incident.state:
        services.change_state(incident, state_after, actor,
                              note=note if state_after is State.RESOLVED else None,
                              question=body if state_after is State.WAITING else None)
    if minutes:
        services.add_time(incident, actor, minutes=minutes, on_site=on_site)


@dataclass(frozen=True)
class TimeSummary:
    entries: list
    remote_minutes: int
    on_site_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.remote_minutes + self.on_site_minutes


def recorded_time(incident: Incident) -> TimeSummary:
    rows = db.session.scalars(select(TimeEntry).where(TimeEntry.incident_id == incident.id)
                              .order_by(TimeEntry.worked_on, TimeEntry.id)).all()
    return TimeSummary(entries=list(rows), remote_minutes=sum(r.minutes for r in rows if not r.on_site),
                       on_site_minutes=sum(r.minutes for r in rows if r.on_site))

"""SLA clocks derived from an incident's history, counted in service hours (console.servicehours).

Like Zammad's and Znuny's escalations: a *response* target (first public reply), an *update* target
(the next public reply after the last one) and a *resolution* target, each per priority in service minutes.
Clocks run only in service hours (§7.7) and stand still while the incident waits for the reseller, or while it
is resolved/closed (a reopened incident continues where it stopped). Everything here is a pure function of
the history, so a deadline can be recomputed and audited at any time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock
from console.extensions import db
from console.incidents.models import EventKind, Incident, IncidentEvent, PAUSED_STATES, Priority, SlaTarget, State
from console.servicehours import Interval, add_service_minutes_with_pauses


@dataclass(frozen=True)
class Targets:
    response_minutes: int
    update_minutes: int
    resolution_minutes: int


# Service minutes; one service day is 540 minutes (08:00–17:00).
DEFAULTS = {
    Priority.P1: Targets(30, 60, 240),
    Priority.P2: Targets(60, 240, 540),
    Priority.P3: Targets(240, 540, 1620),
    Priority.P4: Targets(540, 1620, 5400),
}

CLOCK_LABELS = {"response": _l("Response"), "update": _l("Update"), "resolution": _l("Resolution")}


def targets_for(priority: Priority) -> Targets:
    row = db.session.get(SlaTarget, priority)
    if row is None:
        return DEFAULTS[priority]
    return Targets(row.response_minutes, row.update_minutes, row.resolution_minutes)


@dataclass(frozen=True)
class Clock:
    name: str                    # "response", "update" or "resolution"
    due: datetime                # the deadline (if paused: the deadline were it resumed now)
    met_at: datetime | None      # when the target was met, None while pending

    def breached(self, now: datetime) -> bool:
        return (self.met_at or now) > self.due

    @property
    def label(self):
        return CLOCK_LABELS[self.name]


@dataclass(frozen=True)
class SlaStatus:
    clocks: list[Clock]
    paused: bool

    def pending(self) -> list[Clock]:
        return [c for c in self.clocks if c.met_at is None]

    def next_due(self) -> Clock | None:
        if self.paused:
            return None
        return min(self.pending(), key=lambda c: c.due, default=None)

    def breached(self, now: datetime) -> bool:
        return any(c.breached(now) for c in self.clocks)


@dataclass(frozen=True)
class Change:
    """One state change from the history: at `at`, the incident entered `state`."""
    at: datetime
    state: State


def paused_intervals(opened_at: datetime, changes: list[Change], now: datetime) -> list[Interval]:
    """The periods in a pausing state; a pause still going on ends at `now` (so the clock stands still)."""
    intervals: list[Interval] = []
    since = None
    for change in sorted(changes, key=lambda c: c.at):
        if change.state in PAUSED_STATES and since is None:
            since = max(change.at, opened_at)
        elif change.state not in PAUSED_STATES and since is not None:
            intervals.append((since, change.at))
            since = None
    if since is not None:
        intervals.append((since, max(since, now)))
    return intervals


def compute(opened_at: datetime, state: State, changes: list[Change], replies: list[datetime],
            targets: Targets, now: datetime) -> SlaStatus:
    """All three clocks of one incident from its history.

    `changes`: state changes in order; `replies`: instants of public staff replies.
    """
    pauses = paused_intervals(opened_at, changes, now)
    replies = sorted(replies)
    due = lambda start, minutes: add_service_minutes_with_pauses(start, minutes, pauses)  # noqa: E731
    clocks = [Clock("response", due(opened_at, targets.response_minutes), replies[0] if replies else None)]

    resolved_at = None  # when it last entered resolved/closed, if it is there now
    for change in sorted(changes, key=lambda c: c.at):
        done = change.state in (State.RESOLVED, State.CLOSED)
        resolved_at = (resolved_at or change.at) if done else None
    if state not in (State.RESOLVED, State.CLOSED):
        resolved_at = None
    if replies:
        # Each gap between public replies is an update clock; the open one runs until the next reply.
        for previous, following in zip(replies, replies[1:]):
            clocks.append(Clock("update", due(previous, targets.update_minutes), following))
        if resolved_at is None:
            clocks.append(Clock("update", due(replies[-1], targets.update_minutes), None))
    clocks.append(Clock("resolution", due(opened_at, targets.resolution_minutes), resolved_at))
    return SlaStatus(clocks=_latest_update_only(clocks, now), paused=state in PAUSED_STATES)


def _latest_update_only(clocks: list[Clock], now: datetime) -> list[Clock]:
    """Keep breached past update gaps (they count) and the current one; met-in-time gaps are noise."""
    updates = [c for c in clocks if c.name == "update"]
    keep = [c for c in updates[:-1] if c.breached(now)] + updates[-1:]
    return [c for c in clocks if c.name != "update" or c in keep]


def status_of(incident: Incident, now: datetime | None = None) -> SlaStatus:
    """The SLA status of an incident, from its stored history."""
    now = now or clock.now()
    events = db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                .order_by(IncidentEvent.at, IncidentEvent.id)).all() if incident.id else []
    changes = [Change(e.at, State(e.new_value)) for e in events if e.kind is EventKind.STATE]
    replies = [e.at for e in events if e.kind is EventKind.REPLY and e.by_staff]
    return compute(incident.opened_at, incident.state, changes, replies, targets_for(incident.priority), now)


def recompute_sla(incident: Incident, now: datetime | None = None) -> SlaStatus:
    """Refresh the incident's SLA cache (next deadline, breached) from its history. Flushes."""
    now = now or clock.now()
    db.session.flush()
    status = status_of(incident, now)
    upcoming = status.next_due()
    incident.sla_due_at = upcoming.due if upcoming else None
    incident.sla_breached = any(c.met_at is not None and c.breached(now) for c in status.clocks) or \
        bool(upcoming and upcoming.due < now)
    db.session.flush()
    return status

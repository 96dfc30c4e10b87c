"""Work on fault reports. Services validate, change rows, queue mail and flush — never commit."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock
from console.accounts.models import Pbx, Reseller
from console.auth import tokens
from console.auth.models import Login
from console.bounds import clean_filename
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import notify, search
from console.incidents.models import (OPEN_STATES, ApiToken, Channel, EventKind, Impact, Incident,
                                      IncidentAttachment, IncidentEvent, Outage, Priority, SlaTarget, State, TimeEntry)
from console.incidents.qualification import CheckedReport
from console.incidents.sla import recompute_sla
from console.mail import addresses

# Which state may follow which (reopen: resolved/closed → in progress).
TRANSITIONS = {
    State.NEW: {State.IN_PROGRESS, State.WAITING, State.RESOLVED},
    State.IN_PROGRESS: {State.WAITING, State.RESOLVED},
    State.WAITING: {State.IN_PROGRESS, State.RESOLVED},
    State.RESOLVED: {State.CLOSED, State.IN_PROGRESS},
    State.CLOSED: {State.IN_PROGRESS},
}

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    "application/vnd.tcpdump.pcap", "application/x-pcapng", "application/octet-stream",
    "message/rfc822",  # a forwarded mail (kept whole from a mailed report)
}
ALLOWED_ATTACHMENT_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".pcap", ".pcapng",
                               ".eml"}


def state_label(state: State) -> str:
    from console.incidents.timeline import STATE_LABELS
    return str(STATE_LABELS[state])


def _label(actor: Login | None) -> str:
    return f"{actor.email} ({actor.role.value})" if actor is not None and actor.id else "system"


def _event(incident: Incident, kind: EventKind, actor: Login | None, *, old=None, new=None, body=None,
           at=None) -> IncidentEvent:
    event = IncidentEvent(incident=incident, kind=kind, at=at or clock.now(), actor_id=actor.id if actor else None,
                          actor_label=_label(actor), old_value=old, new_value=new, body=body,
                          by_staff=bool(actor is not None and actor.is_staff))
    db.session.add(event)
    return event


def _apply(incident: Incident, checked: CheckedReport) -> None:
    v = checked.values
    customer = v.get("customer")
    if customer is not None:
        incident.customer = customer
        incident.pbx = customer.pbx
    incident.sites = v.get("sites", [])
    for name in ("title", "description", "category", "impact", "started_at", "pattern", "reproduction",
                 "contact_name", "contact_phone", "delay_ms", "jitter_ms", "loss_percent"):
        if name in v:
            setattr(incident, name, v[name])
    incident.affected_numbers = v.get("affected_numbers", [])
    incident.example_calls = v.get("example_calls", [])
    incident.missing_fields = list(checked.missing)
    incident.qualified = checked.qualified


# What the impact implies when the reporter suggests no urgency: a total outage is P1 (issue 14).
IMPLIED_PRIORITY = {Impact.PBX: Priority.P1, Impact.SITE: Priority.P2}


def implied_priority(impact: Impact | None) -> Priority:
    return IMPLIED_PRIORITY.get(impact, Priority.P3)


@dataclass(frozen=True)
class Upload:
    """A file as it arrived with a report (a mail part, console.mail.content.Attached, has the same fields)."""
    filename: str
    content_type: str
    data: bytes


def file_report(reseller: Reseller, checked: CheckedReport, *, channel: Channel, actor: Login | None = None,
                reporter_email: str | None = None, language: str | None = None,
                priority: Priority = Priority.P3, inbound_message_id: int | None = None,
                acknowledge: bool = True, attachments: Iterable[Upload] = ()) -> Incident:
    """Store a report with its number and its attachments, and acknowledge it by mail (always accepted, §7.8).

    Form and API refuse unqualified reports before calling this; mail reports arrive unqualified. A mail that
    must not be answered automatically (RFC 3834: automatic or list mail) is filed with acknowledge=False.
    An attachment refused by size or type refuses a form report (RuleViolation); a mailed report cannot be sent
    back, so it is filed and the refused files are named in a note.
    """
    if channel is not Channel.MAIL and not checked.qualified:
        raise RuleViolation({**checked.missing_messages(), **checked.invalid})
    if reporter_email:
        addresses.parse(reporter_email, "reporter_email")  # InvalidAddress: refused before anything is stored
    incident = Incident(reseller=reseller, channel=channel, reported_by_id=actor.id if actor else None,
                        reporter_email=(reporter_email or (actor.email if actor else None) or reseller.notice_email),
                        language=language or (actor.language if actor else reseller.language),
                        title=checked.values.get("title") or str(_l("Fault report")), opened_at=clock.now(),
                        priority=priority, state=State.NEW, inbound_message_id=inbound_message_id)
    db.session.add(incident)
    _apply(incident, checked)
    db.session.flush()
    incident.number = f"{incident.opened_at.astimezone(clock.BERLIN).year}-{incident.id:06d}"
    _event(incident, EventKind.CREATED, actor, old=priority.value, new=channel.value, at=incident.opened_at)
    search.refresh(incident)
    refused = []
    for attachment in attachments:
        try:
            add_attachment(incident, attachment.filename, attachment.content_type, attachment.data)
        except RuleViolation as exc:
            if channel is not Channel.MAIL:
                raise
            refused.extend(str(text) for text in exc.errors.values())
    if refused:
        add_note(incident, "\n".join(refused), None)
    recompute_sla(incident)
    if acknowledge:
        notify.acknowledge(incident)
    return incident


def complete_report(incident: Incident, checked: CheckedReport, actor: Login) -> Incident:
    """Complete an unqualified (mailed-in) report; only a complete one is accepted."""
    if not checked.qualified:
        raise RuleViolation({**checked.missing_messages(), **checked.invalid})
    _apply(incident, checked)
    _event(incident, EventKind.COMPLETED, actor)
    search.refresh(incident)
    db.session.flush()
    return incident


def change_state(incident: Incident, new: State, actor: Login | None, *, note: str | None = None,
                 question: str | None = None) -> IncidentEvent | None:
    """Move the report on; `note` (a resolution note) is kept on the state event. When staff move it, the
    reseller is told what needs or ends their attention: waiting for them (with `question`), resolved (with the
    note), reopened."""
    if new is incident.state:
        return None
    if new not in TRANSITIONS[incident.state]:
        raise RuleViolation(state=_l("A report that is %(old)s cannot become %(new)s.",
                                     old=state_label(incident.state), new=state_label(new)))
    old = incident.state
    event = _event(incident, EventKind.STATE, actor, old=old.value, new=new.value,
                   body=(note or "").strip() or None)
    incident.state = new
    recompute_sla(incident)
    if actor is not None and actor.is_staff:
        db.session.flush()   # the event's id keys the mail
        if new is State.WAITING:
            notify.waiting(incident, event, (question or "").strip())
        elif new is State.RESOLVED:
            notify.resolved(incident, event, event.body or "")
        elif old in (State.RESOLVED, State.CLOSED):
            notify.reopened(incident, event)
    return event


def set_priority(incident: Incident, priority: Priority, actor: Login) -> None:
    if priority is incident.priority:
        return
    _event(incident, EventKind.PRIORITY, actor, old=incident.priority.value, new=priority.value)
    incident.priority = priority
    recompute_sla(incident)


def assign(incident: Incident, assignee: Login | None, actor: Login) -> None:
    if assignee is not None and not assignee.is_staff:
        raise RuleViolation(assignee_id=_l("Only staff can be assigned."))
    _event(incident, EventKind.ASSIGNED, actor, old=str(incident.assignee_id or ""),
           new=str(assignee.id) if assignee else "")
    incident.assignee = assignee
    db.session.flush()


def add_reply(incident: Incident, body: str, actor: Login, *, mail: bool = True) -> IncidentEvent:
    """A public reply: mailed to the reporter (unless the state mail that follows carries it, mail=False); a
    staff reply meets the response/update clock."""
    if not body.strip():
        raise RuleViolation(body=_l("Write a reply."))
    event = _event(incident, EventKind.REPLY, actor, body=body.strip())
    if actor.is_staff and incident.state is State.NEW:
        change_state(incident, State.IN_PROGRESS, actor)   # recomputes the SLA, this reply included
    elif not actor.is_staff and incident.state is State.WAITING:
        change_state(incident, State.IN_PROGRESS, actor)   # the reseller answered: the clocks run again
    else:
        recompute_sla(incident)
    if mail:
        db.session.flush()
        notify.reply(incident, event)
    return event


def add_note(incident: Incident, body: str, actor: Login | None) -> IncidentEvent:
    if not body.strip():
        raise RuleViolation(body=_l("Write a note."))
    event = _event(incident, EventKind.NOTE, actor, body=body.strip())
    db.session.flush()
    return event


def add_time(incident: Incident, actor: Login, *, minutes: int, on_site: bool, worked_on: date | None = None,
             note: str | None = None) -> TimeEntry:
    if minutes <= 0 or minutes > 24 * 60:
        raise RuleViolation(minutes=_l("Give the minutes worked, between 1 and 1440."))
    entry = TimeEntry(incident=incident, login_id=actor.id, minutes=minutes, on_site=on_site,
                      worked_on=worked_on or clock.today_berlin(), note=(note or "").strip() or None)
    db.session.add(entry)
    db.session.flush()
    return entry


def merge(duplicate: Incident, target: Incident, actor: Login) -> None:
    """Close a duplicate into another incident of the same reseller; its timeline stays where it was."""
    if duplicate.id == target.id or target.merged_into_id == duplicate.id:
        raise RuleViolation(target=_l("An incident cannot be merged into itself."))
    if duplicate.reseller_id != target.reseller_id:
        raise RuleViolation(target=_l("Only incidents of the same reseller can be merged."))
    merged_event = _event(duplicate, EventKind.MERGED, actor, new=target.number)
    _event(target, EventKind.NOTE, actor, body=str(_l("Incident %(number)s was merged into this one.",
                                                      number=duplicate.number)))
    duplicate.merged_into = target
    if duplicate.state is not State.CLOSED:
        _event(duplicate, EventKind.STATE, actor, old=duplicate.state.value, new=State.CLOSED.value)
        duplicate.state = State.CLOSED
    recompute_sla(duplicate)
    db.session.flush()
    notify.merged(duplicate, merged_event, target)


def add_attachment(incident: Incident, filename: str, content_type: str, data: bytes) -> IncidentAttachment:
    """Check size and type, then store the file as received."""
    name = clean_filename(filename)
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise RuleViolation(attachment=_l("%(name)s is larger than 10 MB.", name=name))
    if suffix not in ALLOWED_ATTACHMENT_SUFFIXES or (content_type or "").split(";")[0] not in ALLOWED_ATTACHMENT_TYPES:
        raise RuleViolation(attachment=_l("%(name)s: only screenshots (PNG, JPEG, GIF, WebP), PDF, text, packet "
                                          "captures (.pcap, .pcapng) and forwarded mails (.eml) are accepted.",
                                          name=name))
    attachment = IncidentAttachment(incident_id=incident.id, filename=name, content_type=content_type.split(";")[0],
                                    size=len(data), data=data)
    db.session.add(attachment)
    db.session.flush()
    return attachment


# --- SLA targets --------------------------------------------------------------------------------------------

def set_sla_targets(priority: Priority, *, response_minutes: int, update_minutes: int,
                    resolution_minutes: int) -> int:
    """New targets for a priority; the open incidents of that priority get their deadlines recomputed (the
    warning job reads the stored `sla_due_at`). Returns how many were recomputed."""
    row = db.session.get(SlaTarget, priority)
    if row is None:
        row = SlaTarget(priority=priority)
        db.session.add(row)
    row.response_minutes, row.update_minutes = response_minutes, update_minutes
    row.resolution_minutes = resolution_minutes
    db.session.flush()
    now = clock.now()
    open_incidents = db.session.scalars(select(Incident).where(Incident.priority == priority,
                                                               Incident.state.in_(OPEN_STATES))).all()
    for incident in open_incidents:
        recompute_sla(incident, now)
    return len(open_incidents)


# --- API tokens ---------------------------------------------------------------------------------------------

def issue_token(reseller: Reseller, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored (console.auth.tokens)."""
    if not name.strip():
        raise RuleViolation(name=_l("Give the token a name, e.g. the system that uses it."))
    return tokens.issue(ApiToken, "stk_", reseller=reseller, name=name.strip()[:100])


def revoke_token(token: ApiToken) -> None:
    tokens.revoke(token)


# --- outages (§7.6) -----------------------------------------------------------------------------------------

def save_outage(outage: Outage | None, *, start: datetime, end: datetime | None, platform_wide: bool,
                pbxs: list[Pbx], incidents: list[Incident], description: str) -> Outage:
    """An outage of the whole platform, or of the named PBXs; linked to the incidents it caused."""
    if end is not None and end <= start:
        raise RuleViolation(end=_l("The end must be after the start."))
    if not platform_wide and not pbxs:
        raise RuleViolation(pbx_ids=_l("Name the affected PBXs, or mark the outage as platform-wide."))
    if not description.strip():
        raise RuleViolation(description=_l("Describe what was down."))
    if outage is None:
        outage = Outage()
        db.session.add(outage)
    outage.start, outage.end, outage.platform_wide = start, end, platform_wide
    outage.pbxs = [] if platform_wide else list(pbxs)
    outage.incidents = list(incidents)
    outage.description = description.strip()
    db.session.flush()
    return outage

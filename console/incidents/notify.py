"""Mail about incidents, queued in the outbox within the caller's transaction (keys make each mail unique)."""
from __future__ import annotations

from flask import current_app

from console import clock, servicehours
from console.extensions import db
from console.incidents.models import Incident, IncidentEvent
from console.incidents.qualification import FIELD_LABELS, network_findings
from console.mail.outbox import queue_mail


def _base_url() -> str:
    return current_app.extensions["settings"].base_url.rstrip("/")


def _context(incident: Incident, **extra) -> dict:
    return {"incident": incident, "base_url": _base_url(),
            "link": f"{_base_url()}/incidents/{incident.id}",
            "findings": [str(f) for f in network_findings(incident.delay_ms, incident.jitter_ms,
                                                          incident.loss_percent)],
            **extra}


def acknowledge(incident: Incident) -> None:
    """Every report is acknowledged with its number; after hours, the mail says when work starts."""
    if not incident.reporter_email:
        return
    received = incident.opened_at
    starts = None if servicehours.is_service_time(received) else servicehours.next_service_start(received)
    template = "incidents/acknowledgement" if incident.qualified else "incidents/completion_request"
    missing = [str(FIELD_LABELS[name]) for name in incident.missing_fields if name in FIELD_LABELS]
    answered = _mail_of_reporter(incident)
    queue_mail(key=f"incident-{incident.id}-ack-{incident.reporter_email}", to=incident.reporter_email,
               template=template, language=incident.language, field="reporter_email",
               auto_submitted="auto-replied" if answered is not None else "auto-generated", **_thread(answered),
               context=_context(incident, work_starts=starts, missing=missing,
                                complete_link=f"{_base_url()}/incidents/{incident.id}/complete"))


def reply(incident: Incident, event: IncidentEvent) -> None:
    """A public reply goes to the reporter (and a reseller's reply needs no mail to itself)."""
    if not incident.reporter_email or not event.by_staff:
        return
    queue_mail(key=f"incident-{incident.id}-reply-{event.id}", to=incident.reporter_email,
               template="incidents/reply", language=incident.language, context=_context(incident, event=event),
               field="reporter_email", **_thread(_mail_of_reporter(incident)))


def _mail_of_reporter(incident: Incident):
    """The mail the reporter sent this report in, or None (another channel, or filed by staff on a reseller's
    behalf: then the acknowledgement answers nobody's mail)."""
    if incident.inbound_message_id is None or not incident.reporter_email:
        return None
    from console.incidents.mail import sender_of
    from console.mail.models import InboundMessage
    inbound = db.session.get(InboundMessage, incident.inbound_message_id)
    message = inbound.parsed if inbound is not None else None
    sender = sender_of(message) if message is not None else None
    return message if sender is not None and sender.key == incident.reporter_email.lower() else None


def _thread(message) -> dict:
    """In-Reply-To and References naming the mail answered (RFC 3834, RFC 5322 §3.6.4): the answer is marked
    as one and lands in the reporter's thread."""
    from console.mail.autoreply import thread_of
    in_reply_to, references = thread_of(message) if message is not None else (None, None)
    return {"in_reply_to": in_reply_to, "references": references} if in_reply_to else {}


def sla_warning(incident: Incident, clock_name: str, due, recipient: str, language: str) -> None:
    """Warn staff once per clock and deadline: a moved deadline is a new warning, a repeated run is not."""
    queue_mail(key=f"incident-{incident.id}-sla-{clock_name}-{due:%Y%m%dT%H%M}-{recipient}", to=recipient,
               template="incidents/sla_warning", language=language,
               context=_context(incident, clock_name=clock_name, due=due, now=clock.now()))


# --- the reseller's turn, and the end of it (issue 14) -------------------------------------------------------
# One mail per step, keyed by the timeline event that made it: a retried request queues nothing twice. Each goes
# to the reporter in the report's language, with the link to answer (or, for an incomplete report, to complete).

def _answer_link(incident: Incident) -> str:
    return f"{_base_url()}/incidents/{incident.id}" + ("" if incident.qualified else "/complete")


def _step(incident: Incident, event: IncidentEvent, template: str, **extra) -> None:
    if not incident.reporter_email:
        return
    queue_mail(key=f"incident-{incident.id}-{template}-{event.id}", to=incident.reporter_email,
               template=f"incidents/{template}", language=incident.language, field="reporter_email",
               context=_context(incident, event=event, answer_link=_answer_link(incident), **extra),
               **_thread(_mail_of_reporter(incident)))


def waiting(incident: Incident, event: IncidentEvent, question: str) -> None:
    """The report waits for the reseller: the question, and where to answer it."""
    _step(incident, event, "waiting", question=question)


def resolved(incident: Incident, event: IncidentEvent, note: str) -> None:
    _step(incident, event, "resolved", note=note)


def reopened(incident: Incident, event: IncidentEvent) -> None:
    _step(incident, event, "reopened")


def merged(incident: Incident, event: IncidentEvent, target: Incident) -> None:
    _step(incident, event, "merged", target=target, target_link=f"{_base_url()}/incidents/{target.id}")

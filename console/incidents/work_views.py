"""Actions on one incident: state, priority, assignment, replies, notes, time, merge, attachments."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.auth.models import Login
from console.auth.permissions import requires
from console.bounds import clean_filename
from console.auth.scope import get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services
from console.incidents.blueprint import bp
from console.incidents.forms import (AssignForm, AttachmentForm, MergeForm, MessageForm, PriorityForm, StateForm,
                                     TimeForm, priority_choices, state_choices)
from console.incidents.models import Incident, IncidentAttachment, Priority, State


def _done(incident: Incident, message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


def _refused(incident: Incident, exc: RuleViolation):
    db.session.rollback()
    for text in exc.errors.values():
        flash(str(text), "error")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


def _form_refused(incident: Incident, form):
    for errors in form.errors.values():
        for text in errors:
            flash(str(text), "error")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


def _act(incident_id: int, form, action, message: str):
    """Load the incident in scope, validate the form, run the service, commit; refusals return as messages."""
    incident = get_or_404(Incident, incident_id, current_user)
    if not form.validate():
        return _form_refused(incident, form)
    try:
        action(incident)
    except RuleViolation as exc:
        return _refused(incident, exc)
    db.session.commit()
    return _done(incident, message)


@bp.post("/<int:incident_id>/state")
@requires("manage", "incident_work")
def change_state(incident_id: int):
    form = StateForm()
    form.state.choices = state_choices()
    return _act(incident_id, form, lambda i: services.change_state(i, State(form.state.data), current_user),
                _("State changed."))


@bp.post("/<int:incident_id>/priority")
@requires("manage", "incident_work")
def change_priority(incident_id: int):
    form = PriorityForm()
    form.priority.choices = priority_choices()
    return _act(incident_id, form, lambda i: services.set_priority(i, Priority(form.priority.data), current_user),
                _("Priority changed."))


@bp.post("/<int:incident_id>/assign")
@requires("manage", "incident_work")
def assign(incident_id: int):
    form = AssignForm()
    staff = db.session.scalars(select(Login).where(Login.active_staff())).all()
    form.assignee_id.choices = [(0, "–")] + [(s.id, s.name) for s in staff]
    chosen = lambda: next((s for s in staff if s.id == form.assignee_id.data), None)  # noqa: E731
    return _act(incident_id, form, lambda i: services.assign(i, chosen(), current_user), _("Assignment saved."))


@bp.post("/<int:incident_id>/reply")
@requires("manage", "incident")
def reply(incident_id: int):
    form = MessageForm()
    return _act(incident_id, form, lambda i: services.add_reply(i, form.body.data, current_user), _("Reply sent."))


@bp.post("/<int:incident_id>/note")
@requires("manage", "incident_work")
def note(incident_id: int):
    form = MessageForm()
    return _act(incident_id, form, lambda i: services.add_note(i, form.body.data, current_user),
                _("Internal note saved."))


@bp.post("/<int:incident_id>/time")
@requires("manage", "incident_work")
def add_time(incident_id: int):
    form = TimeForm()
    return _act(incident_id, form, lambda i: services.add_time(
        i, current_user, minutes=form.minutes.data, on_site=form.on_site.data, worked_on=form.worked_on.data,
        note=form.note.data), _("Time recorded."))


@bp.post("/<int:incident_id>/merge")
@requires("manage", "incident_work")
def merge(incident_id: int):
    incident = get_or_404(Incident, incident_id, current_user)
    form = MergeForm()
    if not form.validate():
        return _form_refused(incident, form)
    target = db.session.scalar(scoped(Incident, current_user).where(Incident.number == form.target.data.strip()))
    if target is None:
        flash(_("There is no incident %(number)s.", number=form.target.data), "error")
        return _done(incident)
    try:
        services.merge(incident, target, current_user)
    except RuleViolation as exc:
        return _refused(incident, exc)
    db.session.commit()
    flash(_("Merged into %(number)s.", number=target.number), "success")
    return redirect(url_for(".detail", incident_id=target.id), 303)


@bp.post("/<int:incident_id>/attachments")
@requires("manage", "incident")
def upload(incident_id: int):
    incident = get_or_404(Incident, incident_id, current_user)
    form = AttachmentForm()
    upload = form.attachment.data if form.validate() else None
    if not upload or not getattr(upload, "filename", ""):
        flash(_("Choose a file."), "error")
        return _done(incident)
    try:
        services.add_attachment(incident, upload.filename, upload.mimetype or "application/octet-stream",
                                upload.read(services.MAX_ATTACHMENT_BYTES + 1))
    except RuleViolation as exc:
        return _refused(incident, exc)
    db.session.commit()
    return _done(incident, _("File attached."))


@bp.get("/<int:incident_id>/attachments/<int:attachment_id>")
@requires("view", "incident")
def attachment(incident_id: int, attachment_id: int):
    incident = get_or_404(Incident, incident_id, current_user)
    row = db.session.scalar(select(IncidentAttachment).where(IncidentAttachment.id == attachment_id,
                                                             IncidentAttachment.incident_id == incident.id))
    if row is None:
        abort(404)
    # Always a download: an uploaded file is never rendered in the console's origin. The name is cleaned again
    # for rows stored before names were cleaned on the way in (a NUL in a header is a 500 for every download).
    return send_file(io.BytesIO(row.data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=clean_filename(row.filename))

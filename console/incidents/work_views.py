"""The agent's desk on one fault report: the page, the attribute panel, the reply composer, merge behind its
own confirmation, time and attachments. Thin: parse → load in scope → service → commit → redirect (303), or with
htmx the desk fragment in place (the panel stays where it is); refusals come back on the form, values kept."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console import clock
from console.auth.models import Login
from console.auth.permissions import can, requires
from console.auth.scope import get_or_404, scoped
from console.bounds import clean_filename
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import desk, services, timeline
from console.incidents.blueprint import bp
from console.incidents.forms import (AttachmentForm, AttributesForm, ComposerForm, MergeForm, ReplyForm,
                                     TimeForm, priority_choices, state_choices)
from console.incidents.models import EventKind, Incident, IncidentAttachment, Priority, State
from console.incidents.qualification import FIELD_LABELS, network_findings
from console.incidents.sla import status_of
from console.web.render import apply_errors, is_fragment_request, render


def _staff() -> list[Login]:
    return db.session.scalars(select(Login).where(Login.active_staff()).order_by(Login.name)).all()


def _attributes_form(incident: Incident, formdata=None) -> AttributesForm:
    form = AttributesForm(formdata=formdata, state=incident.state.value, priority=incident.priority.value,
                          assignee_id=incident.assignee_id or 0)
    form.assignee_id.choices = [(0, "–")] + [(s.id, s.name) for s in _staff()]
    return form


def _composer(incident: Incident, formdata=None):
    if not can(current_user, "manage", "incident_work"):
        return ReplyForm(formdata=formdata)
    form = ComposerForm(formdata=formdata)
    if formdata is None and incident.state is State.NEW:
        form.state_after.data = State.IN_PROGRESS.value
    return form


def _suggested(incident: Incident) -> str | None:
    created = next((e for e in incident.events if e.kind is EventKind.CREATED), None)
    return created.old_value if created is not None else None


def _page(incident: Incident, *, attributes=None, composer=None, status: str | None = None, code: int = 200):
    """The desk page, or (htmx) only the desk fragment; forms given are shown as sent, with their errors."""
    events = [e for e in incident.events if current_user.is_staff or e.public]
    work = can(current_user, "manage", "incident_work")
    context = dict(
        incident=incident, entries=timeline.entries(incident, events), sla=status_of(incident), now=clock.now(),
        states=state_choices(), priorities=priority_choices(), can_work=work, field_labels=FIELD_LABELS,
        findings=network_findings(incident.delay_ms, incident.jitter_ms, incident.loss_percent),
        attachments=_attachments(incident), time=desk.recorded_time(incident) if work else None,
        attributes=attributes or (_attributes_form(incident) if work else None),
        composer=composer or _composer(incident), suggested=_suggested(incident), status=status,
        state_name=timeline.state_name, channel_name=timeline.channel_name)
    return render("incidents/detail.html", "incidents/_desk.html", **context), code


def _saved(incident: Incident, message: str):
    if is_fragment_request():
        db.session.expire_all()
        return _page(db.session.get(Incident, incident.id), status=message)
    flash(message, "success")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


def _refused(incident: Incident, exc: RuleViolation, **forms):
    db.session.rollback()
    for form in forms.values():
        apply_errors(form, exc)
    incident = db.session.get(Incident, incident.id)
    return _page(incident, **forms, code=200 if is_fragment_request() else 422)


@bp.get("/<int:incident_id>")
@requires("view", "incident")
def detail(incident_id: int):
    return _page(get_or_404(Incident, incident_id, current_user))


@bp.post("/<int:incident_id>/attributes")
@requires("manage", "incident_work")
def attributes(incident_id: int):
    """State, priority and assignee, saved with one button ("assign to me" is the same form's other button)."""
    incident = get_or_404(Incident, incident_id, current_user)
    form = _attributes_form(incident, request.form)
    if request.form.get("assign_to_me"):
        form.assignee_id.data = current_user.id
    if not form.validate():
        return _page(incident, attributes=form, code=200 if is_fragment_request() else 422)
    assignee = next((s for s in _staff() if s.id == form.assignee_id.data), None)
    try:
        changed = desk.update_attributes(incident, current_user, state=State(form.state.data),
                                         priority=Priority(form.priority.data), assignee=assignee,
                                         resolution_note=form.resolution_note.data)
    except RuleViolation as exc:
        return _refused(incident, exc, attributes=form)
    db.session.commit()
    return _saved(incident, _("Saved.") if changed else _("Nothing changed."))


@bp.post("/<int:incident_id>/reply")
@requires("manage", "incident")
def reply(incident_id: int):
    """The composer: a reply or note, the state after sending and time spent, in one submit."""
    incident = get_or_404(Incident, incident_id, current_user)
    form = _composer(incident, request.form)
    if not form.validate():
        return _page(incident, composer=form, code=200 if is_fragment_request() else 422)
    staff_form = isinstance(form, ComposerForm)
    try:
        desk.send(incident, current_user, body=form.body.data or "",
                  internal=staff_form and form.visibility.data == "internal",
                  state_after=State(form.state_after.data) if staff_form and form.state_after.data else None,
                  minutes=form.minutes.data if staff_form else None,
                  on_site=staff_form and form.place.data == "on_site",
                  resolution_note=form.resolution_note.data if staff_form else None)
    except RuleViolation as exc:
        return _refused(incident, exc, composer=form)
    db.session.commit()
    return _saved(incident, _("Sent."))


@bp.post("/<int:incident_id>/time")
@requires("manage", "incident_work")
def add_time(incident_id: int):
    """Time for another day than today (today's goes with the composer)."""
    incident = get_or_404(Incident, incident_id, current_user)
    form = TimeForm()
    if not form.validate():
        for errors in form.errors.values():
            for text in errors:
                flash(str(text), "error")
        return redirect(url_for(".detail", incident_id=incident.id), 303)
    try:
        services.add_time(incident, current_user, minutes=form.minutes.data, on_site=form.on_site.data,
                          worked_on=form.worked_on.data, note=form.note.data)
    except RuleViolation as exc:
        return _flash_refusal(incident, exc)
    db.session.commit()
    return _saved(incident, _("Time recorded."))


def _flash_refusal(incident: Incident, exc: RuleViolation):
    """A refused change from a form outside the desk: nothing kept, every reason flashed, back to the report."""
    db.session.rollback()
    for text in exc.errors.values():
        flash(str(text), "error")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


@bp.route("/<int:incident_id>/merge", methods=["GET", "POST"])
@requires("manage", "incident_work")
def merge(incident_id: int):
    """GET ?target=<number>: the confirmation page (both reports side by side); POST with confirm: merge."""
    incident = get_or_404(Incident, incident_id, current_user)
    form = MergeForm(request.args, meta={"csrf": False}) if request.method == "GET" else MergeForm()
    target = None
    if form.validate():
        target = db.session.scalar(scoped(Incident, current_user).where(Incident.number == form.target.data.strip()))
        if target is None:
            form.target.errors = [_("There is no fault report %(number)s.", number=form.target.data.strip())]
    if target is not None and request.method == "POST" and request.form.get("confirm"):
        try:
            services.merge(incident, target, current_user)
        except RuleViolation as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Merged into %(number)s. The reseller has been told.", number=target.number), "success")
            return redirect(url_for(".detail", incident_id=target.id), 303)
    return render("incidents/merge.html", incident=incident, target=target, form=form,
                  state_name=timeline.state_name), 200 if target is not None or request.method == "GET" else 422


@bp.post("/<int:incident_id>/attachments")
@requires("manage", "incident")
def upload(incident_id: int):
    incident = get_or_404(Incident, incident_id, current_user)
    form = AttachmentForm()
    upload = form.attachment.data if form.validate() else None
    if not upload or not getattr(upload, "filename", ""):
        flash(_("Choose a file."), "error")
        return redirect(url_for(".detail", incident_id=incident.id), 303)
    try:
        services.add_attachment(incident, upload.filename, upload.mimetype or "application/octet-stream",
                                upload.read(services.MAX_ATTACHMENT_BYTES + 1))
    except RuleViolation as exc:
        return _flash_refusal(incident, exc)
    db.session.commit()
    flash(_("File attached."), "success")
    return redirect(url_for(".detail", incident_id=incident.id), 303)


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


def _attachments(incident: Incident):
    return db.session.execute(select(IncidentAttachment.id, IncidentAttachment.filename, IncidentAttachment.size,
                                     IncidentAttachment.content_type)
                              .where(IncidentAttachment.incident_id == incident.id)
                              .order_by(IncidentAttachment.id)).all()

"""Maintenance windows for every role: list, month calendar, detail; staff schedule and run them."""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts.models import Pbx, Reseller
from console.auth.models import Role
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.bounds import clamp_day
from console.berlin_time import parse_local
from console.clock import BERLIN, now
from console.errors import RuleViolation
from console.extensions import db
from console.maintenance import notices, services
from console.maintenance.blueprint import bp
from console.maintenance.forms import CancelForm, ConfirmForm, EditWindowForm, ExtendForm, NoteForm, WindowForm
from console.maintenance.models import EmergencyReason, FeedToken, MaintenanceWindow, WindowKind, WindowState
from console.web.render import apply_errors, is_fragment_request, paginate, render


@bp.app_context_processor
def maintenance_banner():
    """The header banner: announced or running windows that affect the viewer."""
    if not current_user or not current_user.is_authenticated or is_fragment_request():
        return {"maintenance_banner": []}  # fragments (htmx swaps) have no header to show it in
    return {"maintenance_banner": notices.banner_windows(current_user)}


@bp.get("/")
@requires("view", "maintenance")
def index():
    show = request.args.get("show", "upcoming")
    query = scoped(MaintenanceWindow, current_user)
    if show == "past":
        query = query.where(MaintenanceWindow.state.in_([WindowState.COMPLETED, WindowState.CANCELLED]) |
                            (MaintenanceWindow.ends_at < now())).order_by(MaintenanceWindow.starts_at.desc())
    else:
        query = query.where(MaintenanceWindow.state.in_(
            [WindowState.PLANNED, WindowState.ANNOUNCED, WindowState.RUNNING, WindowState.MISSED])
        ).order_by(MaintenanceWindow.starts_at)
    return render("maintenance/index.html", "maintenance/_rows.html", page=paginate(query), show=show)


@bp.get("/calendar")
@requires("view", "maintenance")
def month():
    today = now().astimezone(BERLIN).date()
    try:
        first = datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        first = today.replace(day=1)
    first = clamp_day(first).replace(day=1)  # a month the calendar (and the months beside it) can show
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], time(0), BERLIN)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time(0), BERLIN)
    windows = list(db.session.scalars(scoped(MaintenanceWindow, current_user).where(
        MaintenanceWindow.starts_at < end, MaintenanceWindow.ends_at > start,
        MaintenanceWindow.state != WindowState.CANCELLED).order_by(MaintenanceWindow.starts_at)))
    by_day: dict[date, list[MaintenanceWindow]] = {}
    for w in windows:
        day = w.starts_at.astimezone(BERLIN).date()
        last = (w.ends_at - timedelta(microseconds=1)).astimezone(BERLIN).date()
        while day <= last:
            by_day.setdefault(day, []).append(w)
            day += timedelta(days=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return render("maintenance/calendar.html", weeks=weeks, first=first, by_day=by_day, today=today,
                  prev_month=prev_month, next_month=next_month)


@bp.get("/<int:window_id>")
@requires("view", "maintenance")
def detail(window_id: int):
    window = get_or_404(MaintenanceWindow, window_id, current_user)
    return render("maintenance/detail.html", window=window, extend_form=ExtendForm(), note_form=NoteForm(),
                  recipients=notices.recipients(window) if current_user.is_staff else None)


def _pbx_choices():
    return [(p.id, f"{p.name} · {p.customer.name}")
            for p in db.session.scalars(scoped(Pbx, current_user).order_by(Pbx.name))]


def _chosen_pbxs(ids) -> list[Pbx]:
    return list(db.session.scalars(scoped(Pbx, current_user).where(Pbx.id.in_(ids or []))))


def _local(form_field, name: str):
    return parse_local(form_field.data, name) if form_field.data else None


@bp.route("/new", methods=["GET", "POST"])
@requires("manage", "maintenance")
def new():
    form = WindowForm()
    form.pbx_ids.choices = _pbx_choices()
    if form.validate_on_submit():
        try:
            window = services.schedule(
                actor_label=current_user.email, kind=WindowKind(form.kind.data),
                reason=EmergencyReason(form.reason.data) if form.reason.data else None,
                starts_at=_local(form.starts_at, "starts_at"), ends_at=_local(form.ends_at, "ends_at"),
                announce_at=_local(form.announce_at, "announce_at"),
                pbxs=_chosen_pbxs(form.pbx_ids.data),
                title_de=form.title_de.data, title_en=form.title_en.data or "",
                description_de=form.description_de.data or "", description_en=form.description_en.data or "")
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Maintenance window scheduled.") if window.state is WindowState.PLANNED else
                  _("Maintenance window scheduled and announced."), "success")
            return redirect(url_for(".detail", window_id=window.id), 303)
    return render("form.html", form=form, title=_("Schedule maintenance"), cancel=url_for(".index"))


@bp.route("/<int:window_id>/edit", methods=["GET", "POST"])
@requires("manage", "maintenance")
def edit(window_id: int):
    window = get_or_404(MaintenanceWindow, window_id, current_user)
    form = EditWindowForm(obj=window)
    form.pbx_ids.choices = _pbx_choices()
    if request.method == "GET":
        form.starts_at.data = window.starts_at.astimezone(BERLIN).replace(tzinfo=None)
        form.ends_at.data = window.ends_at.astimezone(BERLIN).replace(tzinfo=None)
        form.pbx_ids.data = [p.id for p in window.pbxs]
    if form.validate_on_submit():
        try:
            services.update_texts(window, title_de=form.title_de.data, title_en=form.title_en.data or "",
                                  description_de=form.description_de.data or "",
                                  description_en=form.description_en.data or "",
                                  pbxs=_chosen_pbxs(form.pbx_ids.data))
            services.reschedule(window, starts_at=_local(form.starts_at, "starts_at"),
                                ends_at=_local(form.ends_at, "ends_at"))
        except RuleViolation as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Maintenance window saved."), "success")
            return redirect(url_for(".detail", window_id=window.id), 303)
    return render("form.html", form=form, title=_("Edit maintenance window"),
                  cancel=url_for(".detail", window_id=window.id))


def _act(window_id: int, action) -> object:
    window = get_or_404(MaintenanceWindow, window_id, current_user)
    try:
        action(window)
    except RuleViolation as exc:
        db.session.rollback()
        flash(exc.text(), "error")
    else:
        db.session.commit()
        flash(_("Done. Everyone affected is being notified."), "success")
    return redirect(url_for(".detail", window_id=window_id), 303)


@bp.route("/<int:window_id>/cancel", methods=["GET", "POST"])
@requires("manage", "maintenance")
def cancel(window_id: int):
    """A confirmation page (it works without JavaScript) that asks for the reason the notice will give."""
    window = get_or_404(MaintenanceWindow, window_id, current_user)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(window, form.note.data or "", reason_required=True)
        except RuleViolation as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Window cancelled. Everyone notified gets the cancellation with your reason."), "success")
            return redirect(url_for(".detail", window_id=window_id), 303)
    return render("maintenance/confirm.html", window=window, form=form, action="cancel",
                  title=_("Cancel this window?"), submit=_("Cancel window"), danger=True,
                  back=url_for(".detail", window_id=window_id))


@bp.route("/<int:window_id>/start", methods=["GET", "POST"])
@requires("manage", "maintenance")
def start(window_id: int):
    window = get_or_404(MaintenanceWindow, window_id, current_user)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        return _act(window_id, services.start)
    return render("maintenance/confirm.html", window=window, form=form, action="start",
                  title=_("Start this window now?"), submit=_("Start now"),
                  back=url_for(".detail", window_id=window_id))


@bp.post("/<int:window_id>/extend")
@requires("manage", "maintenance")
def extend(window_id: int):
    form = ExtendForm()
    if not form.validate_on_submit():
        flash(_("Enter the new end."), "error")
        return redirect(url_for(".detail", window_id=window_id), 303)
    return _act(window_id, lambda w: services.extend(w, parse_local(form.ends_at.data, "ends_at")))


@bp.post("/<int:window_id>/complete")
@requires("manage", "maintenance")
def complete(window_id: int):
    return _act(window_id, lambda w: services.complete(w, request.form.get("note", "")))


@bp.route("/notices", methods=["GET", "POST"])
@requires("view", "maintenance", writes=("feed_token", "notice_opt_in"))
def notice_settings():
    """Resellers: their feed URLs. Customer admins: opt in to notices for their PBX."""
    opted_in = services.notices_wanted(current_user)
    token = db.session.scalar(scoped(FeedToken, current_user)) if current_user.role is Role.RESELLER else None
    if request.method == "POST":
        action = request.form.get("action")
        if action in ("opt_in", "opt_out") and current_user.role is Role.CUSTOMER_ADMIN:
            services.want_notices(current_user, action == "opt_in")
        elif action == "new_feed_token" and current_user.role is Role.RESELLER:
            services.renew_feed_token(get_or_404(Reseller, current_user.reseller_id, current_user), token)
        else:
            abort(400)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".notice_settings"), 303)
    return render("maintenance/notices.html", opted_in=opted_in, token=token)

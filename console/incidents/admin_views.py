"""Staff pages: availability dashboard, outages, API tokens, SLA targets, the on-site time report."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from console import clock
from console.accounts.models import Customer, Pbx, Reseller
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.berlin_time import parse_local
from console.bounds import clamp_day, parse_id
from console.clock import BERLIN
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import availability, services
from console.incidents.blueprint import bp
from console.incidents.chart import monthly_chart
from console.incidents.forms import OutageForm, SlaTargetForm, TokenForm
from console.incidents.models import ApiToken, Incident, Outage, Priority, TimeEntry
from console.incidents.sla import targets_for
from console.web.render import apply_errors, confirm_revoke, paginate, render


@bp.get("/availability")
@requires("view", "availability")
def availability_dashboard():
    now = clock.now()
    customer = None
    if request.args.get("customer_id", type=parse_id):
        customer = get_or_404(Customer, request.args.get("customer_id", type=parse_id), current_user)
    pbx_id = customer.pbx.id if customer and customer.pbx else None
    report = availability.year_report(now.astimezone(BERLIN).year, pbx_id, now)
    months = availability.last_months(12, pbx_id, now)
    customers = db.session.scalars(scoped(Customer, current_user).order_by(Customer.name)).all()
    return render("incidents/availability.html", report=report, chart=monthly_chart(months), customer=customer,
                  customers=customers, target=availability.TARGET * 100,
                  budget=availability.format_duration(report.budget_seconds),
                  budget_left=availability.format_duration(report.budget_left_seconds),
                  outage_time=availability.format_duration(report.so_far.outage_seconds))


# --- outages ------------------------------------------------------------------------------------------------

@bp.get("/outages/")
@requires("view", "outage")
def outages():
    query = scoped(Outage, current_user).order_by(Outage.start.desc())
    return render("incidents/outages.html", page=paginate(query))


def _berlin(value: datetime | None, field: str) -> datetime | None:
    return parse_local(value, field) if value else None


@bp.route("/outages/new", methods=["GET", "POST"])
@requires("manage", "outage")
def new_outage():
    return _outage_form(None)


@bp.route("/outages/<int:outage_id>/edit", methods=["GET", "POST"])
@requires("manage", "outage")
def edit_outage(outage_id: int):
    return _outage_form(get_or_404(Outage, outage_id, current_user))


def _outage_form(outage: Outage | None):
    form = OutageForm(obj=outage)
    if outage is not None and request.method == "GET":
        form.start.data = outage.start.astimezone(BERLIN).replace(tzinfo=None)
        form.end.data = outage.end.astimezone(BERLIN).replace(tzinfo=None) if outage.end else None
        form.pbx_ids.data = [p.id for p in outage.pbxs]
        form.incident_numbers.data = ", ".join(i.number for i in outage.incidents)
    pbxs = db.session.scalars(scoped(Pbx, current_user).order_by(Pbx.name)).all()
    form.pbx_ids.choices = [(p.id, f"{p.name} ({p.customer.name})") for p in pbxs]
    if form.validate_on_submit():
        numbers = [n.strip() for n in (form.incident_numbers.data or "").split(",") if n.strip()]
        incidents = db.session.scalars(scoped(Incident, current_user).where(Incident.number.in_(numbers))).all()
        try:
            if len(incidents) != len(set(numbers)):
                raise RuleViolation(incident_numbers=_("Unknown incident number(s): %(numbers)s.", numbers=", ".join(
                    sorted(set(numbers) - {i.number for i in incidents}))))
            outage = services.save_outage(
                outage, start=_berlin(form.start.data, "start"), end=_berlin(form.end.data, "end"),
                platform_wide=form.platform_wide.data, pbxs=[p for p in pbxs if p.id in (form.pbx_ids.data or [])],
                incidents=list(incidents), description=form.description.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Outage saved."), "success")
            return redirect(url_for(".outages"), 303)
    return render("form.html", form=form, title=_("Outage"), cancel=url_for(".outages"),
                  hint=_("Times are Berlin wall-clock times. Outages inside announced maintenance windows do not "
                         "count against availability."))


# --- API tokens -----------------------------------------------------------------------------------------------

@bp.route("/api-tokens", methods=["GET", "POST"])
@requires("manage", "api_token")
def api_tokens():
    form = TokenForm()
    form.reseller_id.choices = [(r.id, r.name) for r in db.session.scalars(
        scoped(Reseller, current_user).order_by(Reseller.name))]
    plain = None
    if form.validate_on_submit():
        reseller = get_or_404(Reseller, form.reseller_id.data, current_user)
        try:
            token, plain = services.issue_token(reseller, form.name.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Token issued. Copy it now: it is shown only once."), "success")
    tokens = db.session.scalars(scoped(ApiToken, current_user).order_by(ApiToken.created_at.desc())).all()
    return render("incidents/tokens.html", form=form, tokens=tokens, plain=plain)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires("manage", "api_token")
def revoke_token(token_id: int):
    token = get_or_404(ApiToken, token_id, current_user)
    if request.method == "GET":
        return confirm_revoke(token.name, back=url_for(".api_tokens"))
    services.revoke_token(token)
    db.session.commit()
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for(".api_tokens"), 303)


# --- SLA targets ----------------------------------------------------------------------------------------------

@bp.get("/sla")
@requires("view", "availability")
def sla_targets():
    return render("incidents/sla.html", targets=[(p, targets_for(p)) for p in Priority])


@bp.route("/sla/edit", methods=["GET", "POST"])
@requires("manage", "sla")
def edit_sla_target():
    priority = request.args.get("priority", Priority.P1.value)
    if priority not in {p.value for p in Priority}:
        abort(404)
    current = targets_for(Priority(priority))
    form = SlaTargetForm(obj=current)
    if form.validate_on_submit():
        services.set_sla_targets(Priority(priority), response_minutes=form.response_minutes.data,
                                 update_minutes=form.update_minutes.data,
                                 resolution_minutes=form.resolution_minutes.data)
        db.session.commit()
        flash(_("SLA targets for %(priority)s saved; the deadlines of open incidents were recomputed.",
                priority=priority), "success")
        return redirect(url_for(".sla_targets"), 303)
    return render("form.html", form=form, title=_("SLA targets for %(priority)s", priority=priority),
                  cancel=url_for(".sla_targets"))


# --- time report (§7.11) --------------------------------------------------------------------------------------

def _month_arg(name: str, default: date) -> date:
    try:
        return clamp_day(date.fromisoformat(request.args.get(name, ""))) if request.args.get(name) else default
    except ValueError:
        return default


@bp.get("/time-report")
@requires("manage", "incident_work")
def time_report():
    today = clock.today_berlin()
    start = _month_arg("from", today.replace(day=1))
    end = _month_arg("to", today)
    rows = db.session.execute(
        select(Customer.id, Customer.name, TimeEntry.on_site, func.sum(TimeEntry.minutes), func.count(TimeEntry.id))
        .join(Incident, Incident.id == TimeEntry.incident_id).join(Customer, Customer.id == Incident.customer_id)
        .where(TimeEntry.worked_on >= start, TimeEntry.worked_on <= end,
               Customer.id.in_(scoped(Customer, current_user).with_only_columns(Customer.id)))
        .group_by(Customer.id, Customer.name, TimeEntry.on_site).order_by(Customer.name)).all()
    report: dict[int, dict] = {}
    for customer_id, name, on_site, minutes, entries in rows:
        line = report.setdefault(customer_id, {"name": name, "on_site": 0, "remote": 0, "entries": 0})
        line["on_site" if on_site else "remote"] += int(minutes or 0)
        line["entries"] += entries
    return render("incidents/time_report.html", report=list(report.values()), start=start, end=end)

"""Fault reports: list, report form, detail with timeline, and the work on them. Thin views."""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import literal_column, or_, select, union_all
from sqlalchemy.orm import joinedload, load_only

from console import clock
from console.clock import BERLIN
from console.accounts.models import Customer, Pbx, Reseller
from console.auth.models import Login
from console.auth.permissions import can, requires
from console.auth.scope import get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services
from console.incidents.forms import ReportForm, state_choices, priority_choices
from console.incidents.models import Channel, Incident, OPEN_STATES, Priority, State
from console.incidents.qualification import FIELD_LABELS, ForeignCustomer, check_report, network_findings
from console.incidents.search import matching
from console.incidents.sla import status_of
from console.web.render import apply_errors, is_fragment_request, paginate, render

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def _arg_int(name: str) -> int | None:
    return request.args.get(name, type=int)


# A row of the list: only the columns it shows, as plain rows (no ORM objects to build for a read-only table).
LIST_COLUMNS = (Incident.id, Incident.number, Incident.title, Incident.qualified, Incident.priority, Incident.state,
                Incident.opened_at, Incident.sla_breached, Incident.sla_due_at,
                Customer.name.label("customer_name"), Reseller.name.label("reseller_name"))


def filtered_incidents(login: Login, args) -> select:
    """The list query: the login's incidents, filtered by the query-string arguments."""
    query = scoped(Incident, login)
    state = args.get("state", "")
    if state == "open":
        query = query.where(Incident.state.in_(OPEN_STATES))
    elif state in {s.value for s in State}:
        query = query.where(Incident.state == State(state))
    if args.get("priority") in {p.value for p in Priority}:
        query = query.where(Incident.priority == Priority(args["priority"]))
    for name, column in (("reseller_id", Incident.reseller_id), ("customer_id", Incident.customer_id),
                         ("assignee_id", Incident.assignee_id)):
        value = args.get(name, type=int)
        if value:
            query = query.where(column == value)
    if args.get("breached"):
        query = query.where(or_(Incident.sla_breached.is_(True), Incident.sla_due_at < clock.now()))
    q = args.get("q", "").strip()
    if q:
        query = query.where(matching(q))
    return query


@bp.get("/")
@requires("view", "incident")
def index():
    filtered = filtered_incidents(current_user, request.args)
    rows = (filtered.with_only_columns(*LIST_COLUMNS)
            .outerjoin(Customer, Customer.id == Incident.customer_id)
            .outerjoin(Reseller, Reseller.id == Incident.reseller_id)
            .order_by(Incident.opened_at.desc(), Incident.id.desc()))
    page = paginate(rows, count=filtered)
    states = [(value, str(label)) for value, label in state_choices()]
    context = dict(page=page, state_labels=dict(states), short_time=short_time_formatter(get_locale()),
                   now=clock.now())
    if is_fragment_request():  # htmx wants only the rows: no filter choices to load
        return render("incidents/index.html", "incidents/_rows.html", **context)
    return render("incidents/index.html", "incidents/_rows.html", states=states,
                  priorities=[(value, str(label)) for value, label in priority_choices()],
                  **filter_choices(current_user), **context)


def filter_choices(login: Login) -> dict[str, list[tuple[str, str]]]:
    """The customers, assignees and resellers to filter by, in one query: (id as in the query string, name) pairs."""
    kinds = [scoped(Customer, login).with_only_columns(literal_column("'customers'").label("kind"), Customer.id,
                                                       Customer.name)]
    if login.is_staff:
        kinds += [select(literal_column("'staff'"), Login.id, Login.name)
                  .where(Login.role.in_(("staff_admin", "staff_support")), Login.active.is_(True)),
                  scoped(Reseller, login).with_only_columns(literal_column("'resellers'"), Reseller.id, Reseller.name)]
    query = union_all(*kinds)
    choices = {"customers": [], "staff": [], "resellers": []}
    rows = db.session.execute(query.order_by(query.selected_columns.kind, query.selected_columns.name)).all()
    for kind, id_, name in rows:  # .all(): one fetch, not one per row
        choices[kind].append((str(id_), name))
    return choices


def short_time_formatter(locale: Locale):
    """format_datetime(value, "short", tzinfo=BERLIN) with the locale's patterns looked up once, not per cell."""
    frame = get_datetime_format("short", locale=locale).replace("'", "")
    date_pattern, time_pattern = get_date_format("short", locale=locale), get_time_format("short", locale=locale)

    def short_time(value: datetime) -> str:
        value = value.astimezone(BERLIN)
        return (frame.replace("{0}", time_pattern.apply(value.timetz(), locale))
                .replace("{1}", date_pattern.apply(value.date(), locale)))
    return short_time


def _customer_choices(form: ReportForm) -> None:
    customers = db.session.scalars(scoped(Customer, current_user).join(Pbx, Pbx.customer_id == Customer.id)
                                   .options(joinedload(Customer.reseller)).order_by(Customer.name)).all()
    form.customer_id.choices = [("", "–")] + [
        (str(c.id), f"{c.name} · {c.pbx.name}" + (f" ({c.reseller.name})" if current_user.is_staff else ""))
        for c in customers]
    chosen = request.values.get("customer_id", type=int)
    customer = next((c for c in customers if c.id == chosen), None)
    sites = customer.pbx.sites if customer else [s for c in customers[:50] for s in c.pbx.sites]
    form.site_ids.choices = [(str(s.id), f"{s.pbx.customer.name}: {s.name}") for s in sites]


def _check(form: ReportForm, reseller_for):
    """check_report() on the form's data, for the customer's reseller; errors land on the form."""
    data = form.report_data()
    customer_id = request.form.get("customer_id", type=int)
    if data["customer_id"] and customer_id is None:
        abort(404)
    customer = get_or_404(Customer, customer_id, current_user) if customer_id else None
    reseller = customer.reseller if customer else reseller_for
    if reseller is None:
        form.customer_id.errors = [_("Choose the customer.")]
        return None, None
    try:
        checked = check_report(reseller, data)
    except ForeignCustomer:
        abort(404)
    if not checked.qualified:
        apply_errors(form, RuleViolation({**checked.missing_messages(), **checked.invalid}))
        form.form_errors.append(_("The report is not complete yet: %(count)d field(s) to fill in or correct.",
                                  count=len(checked.missing) + len(checked.invalid)))
    return reseller, checked


def _attach_upload(incident: Incident, form) -> None:
    upload = form.attachment.data
    if upload and getattr(upload, "filename", ""):
        services.add_attachment(incident, upload.filename, upload.mimetype or "application/octet-stream",
                                upload.read(services.MAX_ATTACHMENT_BYTES + 1))


@bp.route("/new", methods=["GET", "POST"])
@requires("manage", "incident")
def new():
    form = ReportForm()
    _customer_choices(form)
    if request.method == "POST" and form.validate():
        reseller, checked = _check(form, current_user.reseller)
        if checked is not None and checked.qualified:
            try:
                incident = services.file_report(reseller, checked, channel=Channel.FORM, actor=current_user)
                _attach_upload(incident, form)
            except RuleViolation as exc:
                db.session.rollback()
                apply_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Fault report %(number)s filed. We have sent an acknowledgement.", number=incident.number),
                      "success")
                return redirect(url_for(".detail", incident_id=incident.id), 303)
    return render("incidents/form.html", form=form, title=_("Report a fault"), cancel=url_for(".index"))


@bp.route("/<int:incident_id>/complete", methods=["GET", "POST"])
@requires("manage", "incident")
def complete(incident_id: int):
    """The link in the reply to a mailed-in report: fill in what the e-mail could not carry."""
    incident = get_or_404(Incident, incident_id, current_user)
    value = lambda member: member.value if member else ""  # noqa: E731
    form = ReportForm(obj=incident, customer_id=str(incident.customer_id or ""),
                      site_ids=[str(s.id) for s in incident.sites], category=value(incident.category),
                      impact=value(incident.impact), pattern=value(incident.pattern))
    if request.method == "GET":
        form.affected_numbers.data = "\n".join(incident.affected_numbers or [])
        form.example_calls.data = "\n".join(f"{c['at'][:16].replace('T', ' ')}, {c['from']}, {c['to']}"
                                            for c in incident.example_calls or [])
        form.started_at.data = incident.started_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") \
            if incident.started_at else ""
    _customer_choices(form)
    if request.method == "POST" and form.validate():
        reseller, checked = _check(form, incident.reseller)
        if checked is not None and reseller.id != incident.reseller_id:
            abort(404)
        if checked is not None and checked.qualified:
            services.complete_report(incident, checked, current_user)
            db.session.commit()
            flash(_("Fault report %(number)s is complete.", number=incident.number), "success")
            return redirect(url_for(".detail", incident_id=incident.id), 303)
    return render("incidents/form.html", form=form, title=_("Complete fault report %(number)s",
                                                            number=incident.number),
                  cancel=url_for(".detail", incident_id=incident.id))


@bp.get("/<int:incident_id>")
@requires("view", "incident")
def detail(incident_id: int):
    incident = get_or_404(Incident, incident_id, current_user)
    events = [e for e in incident.events if current_user.is_staff or e.public]
    staff = db.session.scalars(select(Login).where(Login.role.in_(("staff_admin", "staff_support")),
                                                   Login.active.is_(True)).order_by(Login.name)).all() \
        if current_user.is_staff else []
    return render("incidents/detail.html", incident=incident, events=events, sla=status_of(incident),
                  now=clock.now(), staff=staff, states=state_choices(), priorities=priority_choices(),
                  findings=network_findings(incident.delay_ms, incident.jitter_ms, incident.loss_percent),
                  can_work=can(current_user, "manage", "incident_work"), attachments=_attachments(incident),
                  field_labels=FIELD_LABELS)


def _attachments(incident: Incident):
    from console.incidents.models import IncidentAttachment
    return db.session.execute(select(IncidentAttachment.id, IncidentAttachment.filename, IncidentAttachment.size,
                                     IncidentAttachment.content_type)
                              .where(IncidentAttachment.incident_id == incident.id)
                              .order_by(IncidentAttachment.id)).all()


from console.incidents import work_views  # noqa: E402,F401  actions on one incident, on this blueprint
from console.incidents import admin_views  # noqa: E402,F401  outages, availability, tokens, SLA targets

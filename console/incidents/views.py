"""Fault reports: list, report form, detail with timeline, and the work on them. Thin views."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from console import clock
from console.clock import BERLIN
from console.accounts.models import Customer, Pbx, Reseller
from console.auth.models import Login
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.bounds import parse_id, search_term
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services, worklists
from console.incidents.blueprint import bp
from console.incidents.forms import ReportForm, state_choices, priority_choices
from console.incidents.models import Channel, Incident, IncidentEvent, OPEN_STATES, Priority, State
from console.incidents.qualification import check_report
from console.incidents.search import matching
from console.web.render import apply_errors, is_fragment_request, paginate, render, search


# The list's rows: only the columns a row shows, as plain rows (no ORM objects for a read-only table). Built once;
# each request adds its WHERE (tenancy and filters).
_LAST_CHANGED = (select(func.max(IncidentEvent.at)).where(IncidentEvent.incident_id == Incident.id)
                 .correlate(Incident).scalar_subquery())
_ASSIGNEE = aliased(Login)
LIST_ROWS = (select(Incident.id, Incident.number, Incident.title, Incident.qualified, Incident.priority,
                    Incident.state, Incident.opened_at, Incident.sla_breached, Incident.sla_due_at,
                    Customer.name.label("customer_name"), Reseller.name.label("reseller_name"),
                    _ASSIGNEE.name.label("assignee_name"), _LAST_CHANGED.label("last_changed"))
             .outerjoin(Customer, Customer.id == Incident.customer_id)
             .outerjoin(Reseller, Reseller.id == Incident.reseller_id)
             .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Incident.assignee_id)
             .order_by(Incident.opened_at.desc(), Incident.id.desc()))


def filtered_incidents(login: Login, args) -> Select:
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
        value = args.get(name, type=parse_id)
        if value:
            query = query.where(column == value)
    if args.get("breached"):
        query = query.where(or_(Incident.sla_breached.is_(True), Incident.sla_due_at < clock.now()))
    q = search_term(args.get("q"))
    if q:
        query = query.where(matching(q))
    return worklists.restrict(query, args.get("view", ""), login)


@bp.get("/")
@requires("view", "incident")
def index():
    filtered = filtered_incidents(current_user, request.args)
    page = paginate(LIST_ROWS.where(filtered.whereclause), count=filtered, plain=True)
    states = state_choices()
    context = dict(page=page, state_labels=dict(states), now=clock.now())
    if is_fragment_request():  # htmx wants only the rows: no filter bar to fill
        return render("incidents/index.html", "incidents/_rows.html", **context)
    chosen = chosen_filters(current_user, request.args)
    return render("incidents/index.html", "incidents/_rows.html", states=states,
                  priorities=priority_choices(), menus=filter_menus(current_user), chosen=chosen,
                  chips=filter_chips(request.args, chosen, dict(states)),
                  overviews=worklists.counts(current_user),
                  keep={k: v for k, v in request.args.items() if k in LIST_ARGS and v},  # for the no-JS menu links
                  **context)


def filter_chips(args, chosen: dict[str, str], states: dict[str, str]) -> list[tuple[str, str]]:
    """The list's active filters as (text, the list's address without it): "State: New", "Customer: Beta AG"."""
    labels = {"state": _("State"), "priority": _("Priority"), **{k: str(v) for k, v in MENU_LABELS.items()}}
    values = {"state": {"open": _("Open"), **states}, "priority": {p.value: p.value for p in Priority}}
    chips = []
    for param in ("view", "state", "priority", *MENU_LABELS, "breached", "q"):
        value = args.get(param)
        if not value:
            continue
        if param == "view":
            overview = worklists.BY_KEY.get(value)
            text = str(overview.label) if overview else None
        elif param == "breached":
            text = _("SLA breached")
        elif param == "q":
            text = _("Search: %(term)s", term=value)
        elif param in chosen:
            text = f"{labels[param]}: {chosen[param]}"
        else:
            known = values.get(param, {}).get(value)
            text = f"{labels[param]}: {known}" if known else None
        if text:
            rest = {k: v for k, v in args.items() if k in LIST_ARGS and k != param and v}
            chips.append((text, url_for("incidents.index", **rest)))
    return chips


# Filters with open-ended choices (a platform has thousands of customers): a menu that loads its choices only
# when opened, and searches them, instead of a <select> with every customer on every page.
MENU_SIZE = 30
LIST_ARGS = ("q", "state", "priority", "breached", "customer_id", "reseller_id", "assignee_id", "view")
MENU_LABELS = {"customer_id": _l("Customer"), "reseller_id": _l("Reseller"), "assignee_id": _l("Assignee")}


def filter_menus(login: Login) -> list[tuple[str, str]]:
    """The menus this login gets, as (query-string parameter, label): customers for all, the rest for staff."""
    return [(param, str(label)) for param, label in MENU_LABELS.items() if login.is_staff or param == "customer_id"]


def menu_choices(login: Login, param: str) -> Select | None:
    """(id, name) of everything the login may filter the list by with `param`; None where it has no such menu."""
    if param == "customer_id":
        return scoped(Customer, login).with_only_columns(Customer.id, Customer.name)
    if param == "reseller_id" and login.is_staff:
        return scoped(Reseller, login).with_only_columns(Reseller.id, Reseller.name)
    if param == "assignee_id" and login.is_staff:
        return select(Login.id, Login.name).where(Login.active_staff())
    return None


def chosen_filters(login: Login, args) -> dict[str, str]:
    """parameter → the name of the customer, reseller or assignee the list is filtered by (no query without one)."""
    chosen = {}
    for param in MENU_LABELS:
        value = args.get(param, type=parse_id)
        query = menu_choices(login, param) if value else None
        if query is not None:
            id_column, name_column = query.selected_columns
            chosen[param] = db.session.scalar(query.with_only_columns(name_column).where(id_column == value)) \
                or f"#{value}"
    return chosen


@bp.get("/filter-options")
@requires("view", "incident")
def filter_options():
    """One menu's choices as links to the list filtered by them, keeping the other filters (?menu=, ?find=)."""
    param = request.args.get("menu", "customer_id")
    query = menu_choices(current_user, param)
    if query is None:
        abort(404)
    id_column, name_column = query.selected_columns
    rows = db.session.execute(search(query, name_column, arg="find").order_by(name_column)
                              .limit(MENU_SIZE + 1)).all()
    keep = {name: value for name, value in request.args.items() if name in LIST_ARGS and name != param and value}
    options = [(name, url_for("incidents.index", **keep, **{param: id_}), str(id_) == request.args.get(param))
               for id_, name in rows[:MENU_SIZE]]
    return render("incidents/filter_options.html", "incidents/_filter_options.html", options=options,
                  more=len(rows) > MENU_SIZE, unfiltered=url_for("incidents.index", **keep),
                  chosen=bool(request.args.get(param)), label=str(MENU_LABELS[param]))


def _customer_choices(form: ReportForm) -> None:
    """The customers the login may report for, and the sites of the chosen one (with a single customer, that one).

    Choosing a customer fetches this page again for that customer and swaps in its sites (htmx); without
    scripts, the sites appear after the first submit, which names them as missing."""
    customers = db.session.scalars(scoped(Customer, current_user).join(Pbx, Pbx.customer_id == Customer.id)
                                   .options(contains_eager(Customer.pbx), joinedload(Customer.reseller))
                                   .order_by(Customer.name)).all()
    form.customer_id.choices = [("", "–")] + [
        (str(c.id), f"{c.name} · {c.pbx.name}" + (f" ({c.reseller.name})" if current_user.is_staff else ""))
        for c in customers]
    form.customer_id.render_kw = {"hx-get": request.path, "hx-trigger": "change", "hx-target": "#site_ids",
                                  "hx-select": "#site_ids", "hx-swap": "outerHTML"}   # the site checkboxes
    offering = request.method == "GET"   # preselect only what is offered; a submitted form is judged as sent
    if offering and len(customers) == 1 and not form.customer_id.data:
        form.customer_id.data = str(customers[0].id)
    chosen = request.args.get("customer_id", type=parse_id) or parse_id(form.customer_id.data)
    customer = next((c for c in customers if c.id == chosen), None)
    sites = customer.pbx.sites if customer else []
    form.site_ids.choices = [(str(s.id), s.name) for s in sites]
    if not customer:
        form.site_ids.description = _("Choose the customer first: its sites appear here.")
    if offering and len(sites) == 1 and not form.site_ids.data:
        form.site_ids.data = [str(sites[0].id)]   # most customers have one site: nothing to choose


def _check(form: ReportForm, reseller_for):
    """check_report() on the form's data, for the customer's reseller; errors land on the form."""
    data = form.report_data()
    customer_id = request.form.get("customer_id", type=parse_id)
    if data["customer_id"] and customer_id is None:
        abort(404)
    customer = get_or_404(Customer, customer_id, current_user) if customer_id else None
    reseller = customer.reseller if customer else reseller_for
    if reseller is None:
        form.customer_id.errors = [_("Choose the customer.")]
        return None, None
    checked = check_report(data, customer)
    if form.started_at.process_errors:   # a date without a time (or the reverse): said once, on the field
        checked.missing = [name for name in checked.missing if name != "started_at"]
        checked.invalid["started_at"] = form.started_at.process_errors[0]
        form.started_at.errors = []
    if not checked.qualified:
        apply_errors(form, RuleViolation({**checked.missing_messages(), **checked.invalid}))
        form.form_errors.append(_("The report is not complete yet: %(count)d field(s) to fill in or correct.",
                                  count=len(checked.missing) + len(checked.invalid)))
    return reseller, checked


def _uploads(form) -> list[services.Upload]:
    upload = form.attachment.data
    if not (upload and getattr(upload, "filename", "")):
        return []
    return [services.Upload(upload.filename, upload.mimetype or "application/octet-stream",
                     upload.read(services.MAX_ATTACHMENT_BYTES + 1))]


@bp.route("/new", methods=["GET", "POST"])
@requires("manage", "incident")
def new():
    form = ReportForm()
    _customer_choices(form)
    if request.method == "POST":   # checked even when a field could not be read: every problem named at once
        valid = form.validate()
        reseller, checked = _check(form, current_user.reseller)
        if valid and checked is not None and checked.qualified:
            priority = form.suggested_priority() or services.implied_priority(checked.values.get("impact"))
            try:
                incident = services.file_report(reseller, checked, channel=Channel.FORM, actor=current_user,
                                                priority=priority, attachments=_uploads(form))
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
    del form.priority   # staff set the urgency of a filed report on the desk
    if request.method == "GET":
        form.affected_numbers.data = "\n".join(incident.affected_numbers or [])
        form.example_calls.data = "\n".join(f"{c['at'][:16].replace('T', ' ')}, {c['from']}, {c['to']}"
                                            for c in incident.example_calls or [])
        form.started_at.data = incident.started_at.astimezone(BERLIN).replace(tzinfo=None) \
            if incident.started_at else None
    _customer_choices(form)
    if request.method == "POST":
        valid = form.validate()
        reseller, checked = _check(form, incident.reseller)
        if checked is not None and reseller.id != incident.reseller_id:
            abort(404)
        if valid and checked is not None and checked.qualified:
            services.complete_report(incident, checked, current_user)
            db.session.commit()
            flash(_("Fault report %(number)s is complete.", number=incident.number), "success")
            return redirect(url_for(".detail", incident_id=incident.id), 303)
    return render("incidents/form.html", form=form, title=_("Complete fault report %(number)s",
                                                            number=incident.number),
                  cancel=url_for(".detail", incident_id=incident.id))

"""Billing screens for staff: months, a reseller's statement, a customer's licence curves; exports; prices."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.accounts.models import Customer, Reseller
from console.auth import tokens
from console.auth.permissions import requires
from console.auth.scope import get_or_404
from console.berlin_time import parse_month
from console.billing import peaks as peak_math, services
from console.billing.blueprint import bp
from console.billing.chart import curve_svg
from console.billing.exports import item_label, kind_label, money, statements_csv
from console.billing.forms import PriceForm, RunForm, TokenForm
from console.billing.models import BillingRun, BillingToken, Price
from console.billing.pdf import statements_pdf
from console.billing.statements import parse_euros, statements
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import confirm_revoke, render


def _month(label: str) -> tuple[int, int]:
    return parse_month(label) or abort(404)


def _run_or_404(label: str) -> BillingRun:
    return services.find_run(*_month(label)) or abort(404)


def _language() -> str:
    return str(get_locale() or "de")


def _helpers() -> dict:
    language = _language()
    return {"money": lambda cents: money(cents, language), "item_label": item_label, "kind_label": kind_label}


def _index_page(new_token: str | None = None):
    runs = db.session.scalars(select(BillingRun).order_by(BillingRun.year.desc(), BillingRun.month.desc())).all()
    billing_tokens = db.session.scalars(select(BillingToken).order_by(BillingToken.id)).all()
    return render("billing/index.html", runs=runs, form=RunForm(), token_form=TokenForm(),
                  billing_tokens=billing_tokens, new_token=new_token)


@bp.get("/")
@requires("view", "billing")
def index():
    return _index_page()


@bp.post("/run")
@requires("manage", "billing")
def run_month():
    form = RunForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("billing.index"), 303)
    month = parse_month(form.month.data)
    if month is None:
        flash(_("Write the month as YYYY-MM, e.g. 2026-11."), "error")
        return redirect(url_for("billing.index"), 303)
    try:
        run = services.draft(*month)
    except RuleViolation as exc:
        flash(exc.text(), "error")
        return redirect(url_for("billing.index"), 303)
    db.session.commit()
    flash(_("%(month)s drafted from the licence history.", month=run.label), "success")
    return redirect(url_for("billing.month", label=run.label), 303)


@bp.get("/<label>")
@requires("view", "billing")
def month(label: str):
    run = _run_or_404(label)
    return render("billing/month.html", run=run, statements=statements(run), **_helpers())


@bp.post("/<label>/finalise")
@requires("manage", "billing")
def finalise(label: str):
    run = _run_or_404(label)
    try:
        services.finalise(run, f"{current_user.name} <{current_user.email}>")
    except RuleViolation as exc:
        flash(exc.text(), "error")
        return redirect(url_for("billing.month", label=label), 303)
    db.session.commit()
    flash(_("%(month)s is finalised; the statements are being mailed.", month=run.label), "success")
    return redirect(url_for("billing.month", label=label), 303)


@bp.get("/<label>/export/<fmt>")
@requires("view", "billing")
def export(label: str, fmt: str):
    run = _run_or_404(label)
    reseller_id = request.args.get("reseller", type=int)
    if reseller_id is not None:
        get_or_404(Reseller, reseller_id, current_user)
    chosen = statements(run, reseller_id)
    if fmt == "csv":
        body, mimetype = statements_csv(chosen, _language()), "text/csv; charset=utf-8"
    elif fmt == "pdf":
        body, mimetype = statements_pdf(chosen, _language(), run.label), "application/pdf"
    else:
        abort(404)
    response = make_response(body)
    response.mimetype = mimetype
    name = f"stimme-{run.label}" + (f"-{reseller_id}" if reseller_id else "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.get("/<label>/reseller/<int:reseller_id>")
@requires("view", "billing")
def reseller(label: str, reseller_id: int):
    run = _run_or_404(label)
    owner = get_or_404(Reseller, reseller_id, current_user)
    found = statements(run, owner.id)
    return render("billing/reseller.html", run=run, reseller=owner, statement=found[0] if found else None,
                  **_helpers())


@bp.get("/<label>/customer/<int:customer_id>")
@requires("view", "billing")
def customer(label: str, customer_id: int):
    year, mon = _month(label)
    subject = get_or_404(Customer, customer_id, current_user)
    start, end = peak_math.month_bounds(year, mon)
    history = services.customer_history(subject.id, end)
    month_curve = peak_math.curve(history, year, mon)
    shown = request.args.get("rows")
    rows = []
    if shown in peak_math.ITEMS:
        peak_at = month_curve.peak_point(shown).at
        rows = sorted((e for e in history if start <= e.at <= peak_at), key=lambda e: (e.at, e.id))
    charts = {item: curve_svg(month_curve, item, item_label(item),
                              _("peak %(n)d", n=month_curve.peaks[item])) for item in peak_math.ITEMS}
    return render("billing/customer.html", label=label, run=services.find_run(year, mon), customer=subject,
                  curve=month_curve, charts=charts, shown=shown, rows=rows, item_label=item_label)


@bp.route("/prices", methods=["GET", "POST"])
@requires("view", "billing", writes=("billing",))
def prices():
    form = PriceForm()
    if form.validate_on_submit():
        try:
            services.set_price(form.item.data, form.valid_from.data, parse_euros(form.price.data, "price"))
        except RuleViolation as exc:
            for name, message in exc.errors.items():
                getattr(form, name, form.price).errors.append(str(message))
        else:
            db.session.commit()
            flash(_("Price saved."), "success")
            return redirect(url_for("billing.prices"), 303)
    rows = db.session.scalars(select(Price).order_by(Price.item, Price.valid_from)).all()
    return render("billing/prices.html", form=form, rows=rows, **_helpers())


@bp.post("/tokens")
@requires("manage", "billing_token")
def issue_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Give the token a name (at most 100 characters)."), "error")
        return redirect(url_for("billing.index"), 303)
    _row, plain = tokens.issue(BillingToken, "stb_", name=form.name.data.strip(),
                               issued_by=f"{current_user.name} <{current_user.email}>")
    db.session.commit()
    return _index_page(new_token=plain)  # shown once, never stored


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires("manage", "billing_token")
def revoke_token(token_id: int):
    row = db.session.get(BillingToken, token_id) or abort(404)
    if request.method == "GET":
        return confirm_revoke(row.name, back=url_for("billing.index"))
    tokens.revoke(row)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("billing.index"), 303)


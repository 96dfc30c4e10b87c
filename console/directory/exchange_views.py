"""The customer's Exchange account (staff configure it), "sync now", progress and the report of recent runs."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.accounts.models import Customer
from console.auth.permissions import can, requires
from console.auth.scope import get_or_404
from console.directory import exchange
from console.directory.blueprint import bp
from console.directory.forms import ExchangeForm
from console.directory.models import ExchangeAccount, SyncRun
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, render


def _account(customer: Customer) -> ExchangeAccount | None:
    return db.session.scalar(select(ExchangeAccount).where(ExchangeAccount.customer_id == customer.id))


def _runs(account: ExchangeAccount | None) -> list[SyncRun]:
    if account is None:
        return []
    return list(db.session.scalars(select(SyncRun).where(SyncRun.account_id == account.id)
                                   .order_by(SyncRun.id.desc()).limit(10)))


@bp.route("/customers/<int:customer_id>/exchange", methods=["GET", "POST"])
@requires("view", "directory_settings")
def exchange_account(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    account = _account(customer)
    can_manage = can(current_user, "manage", "exchange")
    form = ExchangeForm(obj=account) if can_manage else None
    if form is not None and form.validate_on_submit():
        try:
            account = exchange.save_account(
                account, customer=customer, endpoint=form.endpoint.data, username=form.username.data,
                password=form.password.data or None, mailbox=form.mailbox.data, folders=form.folders.data,
                interval_minutes=form.interval_minutes.data, enabled=form.enabled.data,
                include_gal=form.include_gal.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Exchange account saved."), "success")
            return redirect(url_for(".exchange_account", customer_id=customer.id), 303)
    if form is not None:
        form.password.data = ""  # never sent back to the browser
    runs = _runs(account)
    return render("directory/exchange.html", customer=customer, account=account, form=form, runs=runs,
                  active=runs[0] if runs and runs[0].active else None)


@bp.post("/customers/<int:customer_id>/exchange/sync")
@requires("manage", "exchange_sync")
def exchange_sync_now(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    account = _account(customer) or abort(404)
    exchange.request_sync(account, "manual")
    db.session.commit()
    flash(_("Sync requested; it starts within a minute."), "success")
    return redirect(url_for(".exchange_account", customer_id=customer.id), 303)


@bp.get("/customers/<int:customer_id>/exchange/status")
@requires("view", "directory_settings")
def exchange_status(customer_id: int):
    """The progress fragment the page polls while a run is queued or running (a full page without htmx)."""
    customer = get_or_404(Customer, customer_id, current_user)
    account = _account(customer) or abort(404)
    runs = _runs(account)
    active = runs[0] if runs and runs[0].active else None
    return render("directory/exchange.html", "directory/_exchange_status.html", customer=customer,
                  account=account, form=None, runs=runs, active=active)

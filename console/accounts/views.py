"""Resellers, customers and their PBX licence. Thin views: parse, load in scope, call a service, commit."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts import services
from console.accounts.blueprint import bp
from console.accounts.forms import CustomerForm, LicenceForm, NewCustomerForm, ResellerForm
from console.accounts.models import Customer, LicenceKind, Pbx, Reseller
from console.auth.permissions import can, requires
from console.auth.scope import get_or_404, scoped
from console.billing.services import customer_peaks
from console.clock import today_berlin
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, paginate, render, search


# --- resellers ------------------------------------------------------------------------------------------

@bp.get("/resellers/")
@requires("view", "reseller")
def resellers():
    query = search(scoped(Reseller, current_user).order_by(Reseller.name), Reseller.name, Reseller.notice_email)
    return render("accounts/resellers.html", "accounts/_reseller_rows.html", page=paginate(query))


@bp.route("/resellers/new", methods=["GET", "POST"])
@requires("manage", "reseller")
def new_reseller():
    return _reseller_form(None)


@bp.get("/resellers/<int:reseller_id>")
@requires("view", "reseller")
def reseller(reseller_id: int):
    reseller = get_or_404(Reseller, reseller_id, current_user)
    customers = scoped(Customer, current_user).where(Customer.reseller_id == reseller.id).order_by(Customer.name)
    return render("accounts/reseller.html", reseller=reseller, page=paginate(customers))


@bp.route("/resellers/<int:reseller_id>/edit", methods=["GET", "POST"])
@requires("manage", "reseller")
def edit_reseller(reseller_id: int):
    return _reseller_form(get_or_404(Reseller, reseller_id, current_user))


def _reseller_form(reseller: Reseller | None):
    form = ResellerForm(obj=reseller)
    if form.validate_on_submit():
        try:
            reseller = services.save_reseller(reseller, name=form.name.data, notice_email=form.notice_email.data,
                                              phone=form.phone.data, language=form.language.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Reseller %(name)s saved.", name=reseller.name), "success")
            return redirect(url_for(".reseller", reseller_id=reseller.id), 303)
    return render("form.html", form=form, title=_("Edit reseller") if reseller else _("New reseller"),
                  cancel=url_for(".resellers"))


# --- customers and licence ------------------------------------------------------------------------------

@bp.get("/customers/")
@requires("view", "customer")
def customers():
    query = (scoped(Customer, current_user).join(Pbx, Pbx.customer_id == Customer.id)
             .join(Reseller, Reseller.id == Customer.reseller_id).order_by(Customer.name))
    query = search(query, Customer.name, Customer.customer_number, Pbx.name, Reseller.name)
    licence = request.args.get("licence", "")
    if licence in {k.value for k in LicenceKind}:
        query = query.where(Pbx.licence == LicenceKind(licence))
    return render("accounts/customers.html", "accounts/_customer_rows.html", page=paginate(query),
                  today=today_berlin())


@bp.route("/customers/new", methods=["GET", "POST"])
@requires("manage", "customer")
def new_customer():
    form = NewCustomerForm()
    form.reseller_id.choices = [(r.id, r.name) for r in db.session.scalars(
        scoped(Reseller, current_user).order_by(Reseller.name))]
    if form.validate_on_submit():
        try:
            customer = services.create_customer(
                current_user, reseller=get_or_404(Reseller, form.reseller_id.data, current_user),
                name=form.name.data, customer_number=form.customer_number.data,
                contact_email=form.contact_email.data, pbx_name=form.pbx_name.data,
                licence=LicenceKind(form.licence.data), licence_start=form.licence_start.data,
                gateway_serial=form.gateway_serial.data, site_name=form.site_name.data, street=form.street.data,
                postcode=form.postcode.data, city=form.city.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Customer %(name)s created with PBX %(pbx)s.", name=customer.name, pbx=customer.pbx.name),
                  "success")
            return redirect(url_for(".customer", customer_id=customer.id), 303)
    return render("form.html", form=form, title=_("New customer"), cancel=url_for(".customers"))


@bp.get("/customers/<int:customer_id>")
@requires("view", "customer")
def customer(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    today = today_berlin()
    peak = customer_peaks(customer.id, today.year, today.month) if can(current_user, "manage", "licence") else None
    return render("accounts/customer.html", customer=customer, pbx=customer.pbx, today=today, peak=peak)


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@requires("manage", "customer")
def edit_customer(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    form = CustomerForm(obj=customer)
    if form.validate_on_submit():
        try:
            services.update_customer(customer, name=form.name.data, customer_number=form.customer_number.data,
                                     contact_email=form.contact_email.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Customer %(name)s saved.", name=customer.name), "success")
            return redirect(url_for(".customer", customer_id=customer.id), 303)
    return render("form.html", form=form, title=_("Edit customer %(name)s", name=customer.name),
                  cancel=url_for(".customer", customer_id=customer.id))


@bp.route("/customers/<int:customer_id>/licence", methods=["GET", "POST"])
@requires("manage", "licence")
def edit_licence(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    pbx = customer.pbx
    form = LicenceForm(obj=pbx, licence=pbx.licence.value)
    if form.validate_on_submit():
        try:
            services.change_licence(current_user, pbx, licence=LicenceKind(form.licence.data),
                                    licence_start=form.licence_start.data, gateway_serial=form.gateway_serial.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Licence of %(pbx)s saved.", pbx=pbx.name), "success")
            return redirect(url_for(".customer", customer_id=customer.id), 303)
    return render("form.html", form=form, title=_("Licence of %(pbx)s", pbx=pbx.name),
                  cancel=url_for(".customer", customer_id=customer.id))

"""Sites, trunks and phone users of a customer's PBX (registered on the accounts blueprint)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts import services
from console.accounts.blueprint import bp
from console.accounts.forms import PhoneUserForm, SiteForm, TrunkForm
from console.accounts.models import Customer, Package, PhoneUser, Pbx, Provider, Site, Trunk, TrunkKind
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, confirm_page, paginate, render, search


def _back(customer_id: int):
    return redirect(url_for(".customer", customer_id=customer_id), 303)


# --- sites ------------------------------------------------------------------------------------------------

@bp.route("/customers/<int:customer_id>/sites/new", methods=["GET", "POST"])
@requires("manage", "site")
def new_site(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    return _site_form(customer, None)


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires("manage", "site")
def edit_site(site_id: int):
    site = get_or_404(Site, site_id, current_user)
    return _site_form(site.pbx.customer, site)


def _site_form(customer: Customer, site: Site | None):
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        try:
            site = services.save_site(site, pbx=customer.pbx, name=form.name.data, street=form.street.data,
                                      postcode=form.postcode.data, city=form.city.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return _back(customer.id)
    return render("form.html", form=form, cancel=url_for(".customer", customer_id=customer.id),
                  title=_("Edit site %(name)s", name=site.name) if site else _("New site for %(c)s", c=customer.name),
                  hint=None if site else _("Every site beyond the main site is a paid option (§2.4)."))


@bp.route("/sites/<int:site_id>/delete", methods=["GET", "POST"])
@requires("manage", "site")
def delete_site(site_id: int):
    site = get_or_404(Site, site_id, current_user)
    customer_id = site.pbx.customer_id
    if request.method == "GET":
        return confirm_page(title=_("Delete this site?"), what=_("Site %(name)s of %(customer)s, with its trunk.",
                            name=site.name, customer=site.pbx.customer.name), submit=_("Delete site"),
                            back=url_for(".customer", customer_id=customer_id))
    try:
        services.delete_site(site)
    except RuleViolation as exc:
        flash(exc.text(), "error")
    else:
        db.session.commit()
        flash(_("Site deleted."), "success")
    return _back(customer_id)


# --- trunks -----------------------------------------------------------------------------------------------

@bp.route("/sites/<int:site_id>/trunk", methods=["GET", "POST"])
@requires("manage", "trunk")
def edit_trunk(site_id: int):
    site = get_or_404(Site, site_id, current_user)
    trunk = site.trunk
    form = TrunkForm(obj=trunk, kind=trunk.kind.value if trunk else "sip",
                     provider=trunk.provider.value if trunk and trunk.provider else "")
    if form.validate_on_submit():
        try:
            trunk = services.save_trunk(
                trunk, site=site, kind=TrunkKind(form.kind.data),
                provider=Provider(form.provider.data) if form.provider.data else None,
                provider_name=form.provider_name.data, base_number=form.base_number.data,
                first_extension=form.first_extension.data, last_extension=form.last_extension.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Trunk of site %(site)s saved.", site=site.name), "success")
            return _back(site.pbx.customer_id)
    return render("form.html", form=form, title=_("Trunk of site %(site)s", site=site.name),
                  cancel=url_for(".customer", customer_id=site.pbx.customer_id),
                  hint=_("Emergency calls of users at this site leave through this trunk; the provider must have "
                         "the site's address (§3.3)."))


@bp.route("/trunks/<int:trunk_id>/delete", methods=["GET", "POST"])
@requires("manage", "trunk")
def delete_trunk(trunk_id: int):
    trunk = get_or_404(Trunk, trunk_id, current_user)
    customer_id = trunk.site.pbx.customer_id
    if request.method == "GET":
        return confirm_page(title=_("Delete this trunk?"), what=_("The trunk of site %(name)s (%(number)s).",
                            name=trunk.site.name, number=trunk.base_number), submit=_("Delete trunk"),
                            back=url_for(".customer", customer_id=customer_id))
    try:
        services.delete_trunk(trunk)
    except RuleViolation as exc:
        flash(exc.text(), "error")
    else:
        db.session.commit()
        flash(_("Trunk deleted."), "success")
    return _back(customer_id)


# --- phone users ------------------------------------------------------------------------------------------

@bp.get("/users/")
@requires("view", "phone_user")
def phone_users():
    query = (scoped(PhoneUser, current_user).join(Pbx, Pbx.id == PhoneUser.pbx_id)
             .order_by(Pbx.name, PhoneUser.extension))
    query = search(query, PhoneUser.first_name, PhoneUser.last_name, PhoneUser.extension, PhoneUser.email, Pbx.name)
    package = request.args.get("package", "")
    if package in {p.value for p in Package}:
        query = query.where(PhoneUser.package == Package(package))
    return render("accounts/phone_users.html", "accounts/_phone_user_rows.html", page=paginate(query))


@bp.get("/users/<int:user_id>")
@requires("view", "phone_user")
def phone_user(user_id: int):
    return render("accounts/phone_user.html", user=get_or_404(PhoneUser, user_id, current_user))


@bp.route("/customers/<int:customer_id>/users/new", methods=["GET", "POST"])
@requires("manage", "phone_user")
def new_phone_user(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    return _phone_user_form(customer.pbx, None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("manage", "phone_user")
def edit_phone_user(user_id: int):
    user = get_or_404(PhoneUser, user_id, current_user)
    return _phone_user_form(user.pbx, user)


def _phone_user_form(pbx: Pbx, user: PhoneUser | None):
    form = PhoneUserForm(obj=user, package=user.package.value if user else Package.KLARE.value,
                         emergency_notice_given=bool(user and user.emergency_notice_at))
    form.site_id.choices = [(s.id, s.name) for s in pbx.sites]
    if form.validate_on_submit():
        try:
            user = services.save_phone_user(
                user, pbx=pbx, site=get_or_404(Site, form.site_id.data, current_user),
                first_name=form.first_name.data, last_name=form.last_name.data, extension=form.extension.data,
                package=Package(form.package.data), email=form.email.data, language=form.language.data,
                fax_number=form.fax_number.data, home_office=form.home_office.data,
                emergency_notice_given=form.emergency_notice_given.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.name), "success")
            return redirect(url_for(".phone_user", user_id=user.id), 303)
    return render("form.html", form=form, cancel=url_for(".customer", customer_id=pbx.customer_id),
                  title=_("Edit user %(name)s", name=user.name) if user else _("New user on %(pbx)s", pbx=pbx.name))


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@requires("manage", "phone_user")
def delete_phone_user(user_id: int):
    user = get_or_404(PhoneUser, user_id, current_user)
    customer_id = user.pbx.customer_id
    if request.method == "GET":
        return confirm_page(title=_("Delete this user?"), what=_(
            "%(name)s (extension %(extension)s) and their logins. Their licence ends today.",
            name=user.name, extension=user.extension), submit=_("Delete user"),
            back=url_for(".phone_user", user_id=user_id))
    services.delete_phone_user(user)
    db.session.commit()
    flash(_("User deleted."), "success")
    return _back(customer_id)

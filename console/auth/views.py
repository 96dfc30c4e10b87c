"""Sign-in, sign-out, language, own password, and managing login accounts."""
from __future__ import annotations

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from console import LANGUAGES
from console.accounts.models import Customer, PhoneUser, Reseller
from console.auth import devices, services, sessions
from console.auth.blueprint import bp
from console.auth.forms import LanguageForm, LoginAccountForm, PasswordForm, SignInForm
from console.auth.models import Login, Role
from console.auth.permissions import can_manage_login, requires
from console.auth.redirects import local_path
from console.auth.scope import get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, paginate, render, search


ROLE_LABELS = {   # in the page's language
    Role.STAFF_ADMIN: _l("Staff admin"), Role.STAFF_SUPPORT: _l("Staff support"), Role.RESELLER: _l("Reseller"),
    Role.CUSTOMER_ADMIN: _l("Customer admin"), Role.END_USER: _l("End user"),
}


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    if form.validate_on_submit():
        known = devices.read(request.cookies.get(devices.COOKIE_NAME))
        try:
            account = services.authenticate(form.email.data, form.password.data, request.remote_addr or "-", known)
        except services.SignInRefused as exc:
            db.session.commit()  # the failed attempt and the lockout count must stay recorded
            form.form_errors.append(str(exc.message))
            return render("auth/login.html", form=form), 401
        sessions.start(account)
        db.session.commit()
        session.clear()
        login_user(account)
        response = redirect(_safe_next(request.args.get("next")), 303)
        devices.remember(response, known, account.id)
        return response
    return render("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    sessions.end(current_user._get_current_object())  # a copy of this browser's cookie is worthless from now
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for(".login"), 303)


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in LANGUAGES:
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            services.set_language(current_user, form.language.data)
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current.data, form.password.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is changed. Other sessions are signed out."), "success")
            return redirect(url_for("dashboard.index"), 303)
    return render("form.html", form=form, title=_("Change password"), cancel=url_for("dashboard.index"))


# --- login accounts -------------------------------------------------------------------------------------

@bp.get("/logins/")
@requires("view", "login")
def logins():
    query = scoped(Login, current_user).order_by(Login.email)
    query = search(query, Login.email, Login.name)
    role = request.args.get("role", "")
    if role in {r.value for r in Role}:
        query = query.where(Login.role == Role(role))
    return render("auth/logins.html", "auth/_login_rows.html", page=paginate(query), roles=ROLE_LABELS)


@bp.route("/logins/new", methods=["GET", "POST"])
@requires("manage", "login")
def new_login():
    return _login_form(None)


@bp.route("/logins/<int:login_id>/edit", methods=["GET", "POST"])
@requires("manage", "login")
def edit_login(login_id: int):
    target = get_or_404(Login, login_id, current_user)
    if not can_manage_login(current_user, target):
        abort(403)
    return _login_form(target)


@bp.post("/logins/<int:login_id>/unlock")
@requires("manage", "login")
def unlock_login(login_id: int):
    target = get_or_404(Login, login_id, current_user)
    if not can_manage_login(current_user, target):
        abort(403)
    services.unlock(target)
    db.session.commit()
    flash(_("Login %(email)s unlocked.", email=target.email), "success")
    return redirect(url_for(".logins"), 303)


def _login_form(target: Login | None):
    form = LoginAccountForm(obj=target, role=target.role.value if target else None)
    form.role.choices = [(r.value, ROLE_LABELS[r]) for r in services.allowed_roles(current_user)]
    none = [(0, "–")]
    form.reseller_id.choices = none + [(r.id, r.name) for r in db.session.scalars(
        scoped(Reseller, current_user).order_by(Reseller.name))]
    form.customer_id.choices = none + [(c.id, c.name) for c in db.session.scalars(
        scoped(Customer, current_user).order_by(Customer.name))]
    form.phone_user_id.choices = none + [(u.id, f"{u.name} · {u.pbx.name}") for u in db.session.scalars(
        scoped(PhoneUser, current_user).order_by(PhoneUser.last_name))]
    if form.validate_on_submit():
        bound = {
            "reseller": get_or_404(Reseller, form.reseller_id.data, current_user) if form.reseller_id.data else None,
            "customer": get_or_404(Customer, form.customer_id.data, current_user) if form.customer_id.data else None,
            "phone_user": (get_or_404(PhoneUser, form.phone_user_id.data, current_user)
                           if form.phone_user_id.data else None),
        }
        try:
            target = services.save_login(current_user, target, email=form.email.data, name=form.name.data,
                                         role=Role(form.role.data), language=form.language.data,
                                         active=form.active.data, password=form.password.data or None, **bound)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Login %(email)s saved.", email=target.email), "success")
            return redirect(url_for(".logins"), 303)
    return render("form.html", form=form, cancel=url_for(".logins"),
                  title=_("Edit login %(email)s", email=target.email) if target else _("New login"))

"""The fax log (in and out) with each fax's PDF, and a Volle user's own fax number, address and options."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts.models import Feature, user_has
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.bounds import parse_id
from console.extensions import db
from console.fax import numbers, reports, store
from console.fax.blueprint import bp
from console.fax.models import Fax
from console.web.render import render

PER_PAGE = 100
OPTIONS = ("notify_incoming", "attach_pdf", "send_confirmation", "report_pdf", "error_mail", "cover_page")


def _own_user():
    """The signed-in end user's phone user when they may have a fax number, else None."""
    user = getattr(current_user, "phone_user", None)
    return user if user is not None and user_has(user, Feature.FAX) else None


@bp.get("/")
@requires("view", "fax")
def index():
    faxes = db.session.scalars(scoped(Fax, current_user).order_by(Fax.created_at.desc(), Fax.id.desc())
                               .limit(PER_PAGE)).all()
    user = _own_user()
    domain = current_app.extensions["settings"].fax_domain
    return render("fax/index.html", "fax/_rows.html", faxes=faxes, user=user, domain=domain,
                  options=numbers.settings_for(user) if user else None, option_names=OPTIONS)


def _fax_or_404(fax_id: str) -> Fax:
    number = parse_id(fax_id)
    if number is None:
        abort(404)
    return get_or_404(Fax, number, current_user)


@bp.get("/<fax_id>")
@requires("view", "fax")
def detail(fax_id: str):
    fax = _fax_or_404(fax_id)
    reason = reports.reason_of(fax) if fax.failure_code else None
    return render("fax/detail.html", fax=fax, reason=reason, reasons=reports.REASONS)


@bp.get("/<fax_id>/pdf")
@requires("view", "fax")
def pdf(fax_id: str):
    fax = _fax_or_404(fax_id)
    if not fax.pdf_path or not store.path_of(fax.pdf_path).is_file():
        abort(404)
    response = send_file(store.path_of(fax.pdf_path), mimetype="application/pdf",
                         download_name=f"fax-{fax.id}.pdf", as_attachment=False)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/settings")
@requires("manage", "fax_settings")
def save_settings():
    user = _own_user()
    if user is None:
        abort(404)
    numbers.save_settings(user, language=request.form.get("language"),
                          **{name: request.form.get(name) == "on" for name in OPTIONS})
    db.session.commit()
    flash(_("Fax settings saved."), "success")
    return redirect(url_for("fax.index"), code=303)

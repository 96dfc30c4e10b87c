"""The PBX's phonebook settings: what to enter on the innovaphone PBX, its reader account, lookup tokens."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from console.accounts.models import Pbx
from console.auth.permissions import can, requires
from console.auth.scope import get_or_404, scoped
from console.directory.blueprint import bp
from console.directory.connection import get_directory
from console.directory.forms import TokenForm
from console.directory.models import DirectoryToken
from console.directory.pbx_settings import (has_reader, innovaphone_settings, issue_lookup_token,
                                            revoke_lookup_token, set_reader_password)
from console.extensions import db
from console.web.render import confirm_revoke, render


def _page(pbx: Pbx, **extra):
    directory = get_directory()
    tokens = list(db.session.scalars(scoped(DirectoryToken, current_user).where(DirectoryToken.pbx_id == pbx.id)
                                     .order_by(DirectoryToken.created_at.desc())))
    return render("directory/settings.html", pbx=pbx, settings=innovaphone_settings(directory, pbx),
                  reader_exists=has_reader(directory, pbx), tokens=tokens, token_form=TokenForm(),
                  can_issue=can(current_user, "manage", "directory_token"),
                  can_set_reader_password=can(current_user, "manage", "directory_reader"), **extra)


@bp.get("/pbx/<int:pbx_id>/directory/settings")
@requires("view", "directory_settings")
def settings(pbx_id: int):
    return _page(get_or_404(Pbx, pbx_id, current_user))


@bp.post("/pbx/<int:pbx_id>/directory/reader-password")
@requires("manage", "directory_reader")
def reader_password(pbx_id: int):
    """A new password for the PBX's bind account, shown on this one response only (never stored in clear).
    Staff only: the account reads every book of the PBX, the end users' private books included."""
    pbx = get_or_404(Pbx, pbx_id, current_user)
    password = set_reader_password(get_directory(), pbx)
    return _page(pbx, new_password=password)


@bp.post("/pbx/<int:pbx_id>/directory/tokens")
@requires("manage", "directory_token")
def issue_token(pbx_id: int):
    pbx = get_or_404(Pbx, pbx_id, current_user)
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(pbx)
    _, token = issue_lookup_token(pbx, form.name.data)
    db.session.commit()
    return _page(pbx, new_token=token)


@bp.route("/directory/tokens/<int:lookup_token_id>/revoke", methods=["GET", "POST"])
@requires("manage", "directory_token")
def revoke_token(lookup_token_id: int):
    token = get_or_404(DirectoryToken, lookup_token_id, current_user)
    if request.method == "GET":
        return confirm_revoke(token.name, back=url_for(".settings", pbx_id=token.pbx_id))
    revoke_lookup_token(token)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for(".settings", pbx_id=token.pbx_id), 303)

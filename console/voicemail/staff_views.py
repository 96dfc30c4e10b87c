"""Staff's page per PBX: the voicemail store's address and credentials to enter on the PBX, the messages waiting
for processing, and the refusals and failures with their reasons."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from console import clock
from console.accounts.models import Pbx
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.extensions import db
from console.voicemail import dav, inbox, intake
from console.voicemail.blueprint import bp
from console.voicemail.forms import StoreTokenForm
from console.voicemail.models import Voicemail, VoicemailState, VoicemailToken
from console.web.render import confirm_revoke, render

WAITING = (VoicemailState.STORED, VoicemailState.PROCESSING)
TROUBLE = (VoicemailState.REFUSED, VoicemailState.FAILED)


def _page(pbx: Pbx, **extra):
    base = current_app.extensions["settings"].base_url.rstrip("/")
    tokens = list(db.session.scalars(scoped(VoicemailToken, current_user).where(VoicemailToken.pbx_id == pbx.id)
                                     .order_by(VoicemailToken.created_at.desc())))
    rows = scoped(Voicemail, current_user).where(Voicemail.pbx_id == pbx.id)
    waiting = list(db.session.scalars(rows.where(Voicemail.state.in_(WAITING)).order_by(Voicemail.id).limit(200)))
    trouble = list(db.session.scalars(rows.where(Voicemail.state.in_(TROUBLE))
                                      .order_by(Voicemail.id.desc()).limit(200)))
    return render("voicemail/store.html", pbx=pbx, url=f"{base}{dav.PREFIX}/{pbx.name}/", tokens=tokens,
                  waiting=waiting, trouble=trouble, messages=intake.MESSAGES, form=StoreTokenForm(), **extra)


@bp.get("/voicemail/pbx/<int:pbx_id>/store")
@requires("view", "voicemail_store")
def store_page(pbx_id: int):
    return _page(get_or_404(Pbx, pbx_id, current_user))


@bp.post("/voicemail/pbx/<int:pbx_id>/store/tokens")
@requires("manage", "voicemail_store")
def issue_store_token(pbx_id: int):
    pbx = get_or_404(Pbx, pbx_id, current_user)
    form = StoreTokenForm()
    if not form.validate_on_submit():
        return _page(pbx), 400
    _row, token = inbox.issue_token(pbx, form.name.data)
    db.session.commit()
    return _page(pbx, new_token=token)


@bp.route("/voicemail/store-tokens/<int:voicemail_token_id>/revoke", methods=["GET", "POST"])
@requires("manage", "voicemail_store")
def revoke_store_token(voicemail_token_id: int):
    token = get_or_404(VoicemailToken, voicemail_token_id, current_user)
    if request.method == "GET":
        return confirm_revoke(token.name, back=url_for(".store_page", pbx_id=token.pbx_id))
    inbox.revoke_token(token)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for(".store_page", pbx_id=token.pbx_id), 303)


@bp.post("/voicemail/messages/<int:voicemail_id>/retry")
@requires("manage", "voicemail_store")
def retry(voicemail_id: int):
    """A message whose processing failed (not a refused one: bad input stays refused) is tried again now."""
    row = get_or_404(Voicemail, voicemail_id, current_user)
    if row.state is VoicemailState.FAILED:
        row.state, row.attempts, row.next_attempt_at = VoicemailState.STORED, 0, clock.now()
        db.session.commit()
        flash(_("The message is processed again."), "success")
    return redirect(url_for(".store_page", pbx_id=row.pbx_id), 303)


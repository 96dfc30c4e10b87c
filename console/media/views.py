"""The media library of a PBX (upload, listen, activate) and the token-protected URLs the PBX fetches from."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts.models import Customer
from console.auth import tokens
from console.auth.permissions import can, requires
from console.auth.scope import TokenPrincipal, get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.media import services
from console.media.blueprint import bp
from console.media.forms import ACCEPT, NewMediaForm, VersionForm
from console.media.models import (HOLD_MUSIC_SLUG, MediaItem, MediaKind, MediaTarget, MediaVersion, PbxMediaToken,
                                  VersionState)
from console.web.render import apply_errors, render


def _pbx_url(token: PbxMediaToken | None, slug: str) -> str:
    """The URL to enter in the PBX: `$coder` is literal, the PBX puts in the coder it wants."""
    if token is None:
        return _("No address yet: make one with “Make new addresses”.")
    base = current_app.extensions["settings"].base_url.rstrip("/")
    return f"{base}/pbx-media/{token.url_secret}/{slug}.$coder?coder=g711a,g711u"


def _row_context() -> dict:
    return {"manage": can(current_user, "manage", "media"), "accept": ACCEPT}


def _library(customer: Customer, *, new_form: NewMediaForm | None = None, upload_errors: dict | None = None):
    pbx = customer.pbx
    token = services.media_token(pbx)
    items = list(db.session.scalars(scoped(MediaItem, current_user).where(MediaItem.pbx_id == pbx.id)
                                    .order_by(MediaItem.kind, MediaItem.name)))
    own_music = next((i for i in items if i.slug == HOLD_MUSIC_SLUG), None)
    return render("media/library.html", customer=customer, pbx=pbx,
                  standard=services.standard_hold_music(),
                  standard_in_use=own_music is None or own_music.active_version is None,
                  music=[i for i in items if i.kind is MediaKind.HOLD_MUSIC],
                  announcements=[i for i in items if i.kind is MediaKind.ANNOUNCEMENT],
                  url_for_slug=lambda slug: _pbx_url(token, slug), hold_slug=HOLD_MUSIC_SLUG,
                  new_form=new_form or NewMediaForm(formdata=None), upload_errors=upload_errors or {},
                  config_limits=_limits(), **_row_context())


def _limits() -> dict:
    settings = current_app.extensions["settings"]
    return {"music": settings.media_music_max_seconds, "announcement": settings.media_announcement_max_seconds,
            "bytes": settings.media_max_bytes}


def _uploader() -> str:
    return f"{current_user.name} <{current_user.email}>"


def _commit_upload(version: MediaVersion) -> None:
    try:
        db.session.commit()
    except Exception:
        services.discard_files(version)   # no row, so no file either
        raise


@bp.get("/customers/<int:customer_id>/media")
@requires("view", "media")
def library(customer_id: int):
    return _library(get_or_404(Customer, customer_id, current_user))


@bp.post("/customers/<int:customer_id>/media/new")
@requires("manage", "media")
def new_item(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    form = NewMediaForm()
    if form.validate_on_submit():
        try:
            item = services.create_item(
                customer.pbx, kind=MediaKind(form.kind.data), name=form.name.data,
                target=MediaTarget(form.target.data), group_name=form.group_name.data)
            version = services.add_version(_uploader(), item, form.file.data.read(), form.file.data.filename,
                                           normalize=form.normalize.data)
        except RuleViolation as exc:
            db.session.rollback()   # not even the item stays when its file is refused
            apply_errors(form, exc)
        else:
            _commit_upload(version)
            flash(_("%(name)s uploaded; it is being converted for the PBX.", name=item.name), "success")
            return redirect(url_for(".library", customer_id=customer.id), 303)
    return _library(customer, new_form=form)


@bp.post("/media/items/<int:item_id>/upload")
@requires("manage", "media")
def upload_version(item_id: int):
    item = get_or_404(MediaItem, item_id, current_user)
    if item.is_standard:
        abort(403)   # the standard hold music is made by the console, not uploaded
    customer = item.pbx.customer
    form = VersionForm()
    if form.validate_on_submit():
        try:
            version = services.add_version(_uploader(), item, form.file.data.read(), form.file.data.filename,
                                           normalize=form.normalize.data)
        except RuleViolation as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            _commit_upload(version)
            flash(_("Version %(n)d of %(name)s uploaded; it is being converted for the PBX.", n=version.number,
                    name=item.name), "success")
            return redirect(url_for(".library", customer_id=customer.id), 303)
    errors = [str(e) for e in form.file.errors] + [str(e) for e in form.form_errors]
    return _library(customer, upload_errors={item_id: errors or [_("The upload was refused.")]})


@bp.get("/media/versions/<int:version_id>")
@requires("view", "media")
def version(version_id: int):
    """One version's row: htmx polls it while the conversion runs; without htmx it is a small page."""
    version = get_or_404(MediaVersion, version_id, current_user)
    return render("media/version.html", "media/_version_row.html", v=version, item=version.item,
                  **_row_context())


@bp.get("/media/versions/<int:version_id>/audio.wav")
@requires("view", "media")
def preview(version_id: int):
    """The converted 8 kHz WAV, to listen before activating."""
    version = get_or_404(MediaVersion, version_id, current_user)
    if version.state is not VersionState.READY:
        abort(404)
    return send_file(services.absolute(version.wav_path), mimetype="audio/wav", conditional=True,
                     etag=f"{version.digest[:32]}-wav", max_age=0)


@bp.post("/media/versions/<int:version_id>/activate")
@requires("manage", "media")
def activate(version_id: int):
    version = get_or_404(MediaVersion, version_id, current_user)
    if version.item.is_standard:
        abort(403)
    try:
        services.activate(version)
    except RuleViolation as exc:
        flash(exc.text(), "error")
    else:
        db.session.commit()
        flash(_("Version %(n)d of %(name)s is now played by the PBX.", n=version.number, name=version.item.name),
              "success")
    return redirect(url_for(".library", customer_id=version.item.pbx.customer_id), 303)


@bp.post("/customers/<int:customer_id>/media/token")
@requires("manage", "media")
def renew_token(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    services.renew_media_token(customer.pbx)
    db.session.commit()
    flash(_("New addresses made; the old ones no longer work. Enter the new ones in the PBX."), "success")
    return redirect(url_for(".library", customer_id=customer.id), 303)


# --- the PBX's side: public, the secret in the URL is the credential ------------------------------------------

@bp.get("/pbx-media/<token>/<slug>.<any(g711a, g711u, wav):coder>")
@tokens.url_secret_required(PbxMediaToken)
def serve(principal: TokenPrincipal, token: str, slug: str, coder: str):
    version = services.served_version(principal, slug)
    if version is None:
        abort(404)
    response = send_file(
        services.absolute(version.path_for(coder)),
        mimetype="audio/wav" if coder == "wav" else "application/octet-stream",   # raw G.711 has no MIME type
        etag=f"{version.digest[:32]}-{coder}", conditional=True, max_age=None,
        # The moment this URL's content last changed (an older version re-activated is a change too).
        last_modified=(version.activated_at or version.converted_at).replace(microsecond=0))
    # The PBX may keep the file but must ask again each time; an unchanged file costs a 304.
    response.cache_control.no_cache = True
    response.cache_control.private = True
    return response


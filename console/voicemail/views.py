"""The web inbox (end users their own messages, customer admins their users'), a user's voicemail settings and
greeting, and a customer's retention period."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.accounts.models import Customer, Feature, PhoneUser, user_has
from console.auth.permissions import requires
from console.auth.scope import get_or_404, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.media.rejections import AudioRejected
from console.voicemail import greetings, inbox, processing, recording, retention
from console.voicemail.blueprint import bp
from console.voicemail.forms import GreetingForm, RetentionForm, SettingsForm
from console.voicemail.models import Voicemail, VoicemailState
from console.web.render import apply_errors, confirm_page, render

SHOWN = (VoicemailState.STORED, VoicemailState.PROCESSING, VoicemailState.MAILED, VoicemailState.FAILED)


def _messages():
    return (scoped(Voicemail, current_user).where(Voicemail.deleted_at.is_(None), Voicemail.state.in_(SHOWN),
                                                  Voicemail.phone_user_id.is_not(None))
            .order_by(Voicemail.received_at.desc(), Voicemail.id.desc()))


def _message(voicemail_id: int) -> Voicemail:
    row = get_or_404(Voicemail, voicemail_id, current_user)
    if row.deleted_at is not None or row.state not in SHOWN or row.phone_user_id is None:
        abort(404)
    return row


@bp.get("/voicemail/")
@requires("view", "voicemail")
def index():
    rows = list(db.session.scalars(_messages().limit(500)))
    users = list(db.session.scalars(scoped(PhoneUser, current_user).order_by(PhoneUser.extension).limit(500)))
    return render("voicemail/index.html", "voicemail/_rows.html", rows=rows, users=users,
                  written=processing.written_number)


@bp.get("/voicemail/<int:voicemail_id>")
@requires("view", "voicemail")
def message(voicemail_id: int):
    row = _message(voicemail_id)
    return render("voicemail/message.html", row=row, written=processing.written_number)


@bp.get("/voicemail/<int:voicemail_id>/audio.wav")
@requires("view", "voicemail")
def audio(voicemail_id: int):
    """The message as 16-bit PCM WAV, for the browser's player or (?download=1) to save."""
    row = _message(voicemail_id)
    try:
        samples = recording.decode(processing.audio_file(row).read_bytes(), row.codec)
    except (OSError, recording.Undecodable):
        abort(404)
    response = Response(recording.wav_pcm(samples), mimetype="audio/wav")
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{processing.attachment_name(row)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/voicemail/<int:voicemail_id>/heard")
@requires("manage", "voicemail")
def heard(voicemail_id: int):
    inbox.mark_heard(_message(voicemail_id))
    db.session.commit()
    return redirect(url_for(".index"), 303)


@bp.route("/voicemail/<int:voicemail_id>/delete", methods=["GET", "POST"])
@requires("manage", "voicemail")
def delete(voicemail_id: int):
    row = _message(voicemail_id)
    if request.method == "GET":
        return confirm_page(title=_("Delete this message?"), what=_(
            "The message from %(caller)s, also from the phone's voicemail. It cannot be brought back.",
            caller=row.caller_name or row.caller_number or _("an unknown caller")), submit=_("Delete message"),
            back=url_for(".message", voicemail_id=voicemail_id))
    inbox.delete(row)
    db.session.commit()
    flash(_("Message deleted, from the phone's voicemail too."), "success")
    return redirect(url_for(".index"), 303)


# --- a user's settings and greeting -----------------------------------------------------------------------

def _settings_page(user: PhoneUser, form: SettingsForm | None = None, greeting_form: GreetingForm | None = None):
    prefs = processing.settings_of(user)
    if form is None:
        form = SettingsForm(data={"email": prefs.email or "", "attach": prefs.attach,
                                  "delete_after_mail": prefs.delete_after_mail, "language": prefs.language or ""})
    return render("voicemail/settings.html", user=user, form=form, greeting_form=greeting_form or GreetingForm(),
                  has_package=user_has(user, Feature.VOICEMAIL_TO_MAIL), has_greeting=greetings.exists(user))


@bp.route("/voicemail/users/<int:user_id>/settings", methods=["GET", "POST"])
@requires("manage", "voicemail")
def settings(user_id: int):
    user = get_or_404(PhoneUser, user_id, current_user)
    form = SettingsForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _settings_page(user, form if request.method == "POST" else None)
    try:
        inbox.save_settings(user, email=form.email.data, attach=form.attach.data,
                            delete_after_mail=form.delete_after_mail.data, language=form.language.data)
    except RuleViolation as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return _settings_page(user, form)
    db.session.commit()
    flash(_("Voicemail settings saved."), "success")
    return redirect(url_for(".settings", user_id=user.id), 303)


@bp.post("/voicemail/users/<int:user_id>/greeting")
@requires("manage", "voicemail")
def greeting(user_id: int):
    """An uploaded MP3/WAV, or the WAV the page's recorder made in the browser (same field)."""
    user = get_or_404(PhoneUser, user_id, current_user)
    form = GreetingForm()
    if not form.validate_on_submit():
        return _settings_page(user, greeting_form=form), 400
    try:
        seconds = greetings.save(user, form.file.data.read())
    except AudioRejected as exc:
        form.file.errors.append(exc.message())
        return _settings_page(user, greeting_form=form), 400
    flash(_("Greeting saved (%(s)d s); the voicemail plays it from now on.", s=round(seconds)), "success")
    return redirect(url_for(".settings", user_id=user.id), 303)


@bp.route("/voicemail/users/<int:user_id>/greeting/delete", methods=["GET", "POST"])
@requires("manage", "voicemail")
def delete_greeting(user_id: int):
    user = get_or_404(PhoneUser, user_id, current_user)
    if request.method == "GET":
        return confirm_page(title=_("Remove the greeting?"), what=_(
            "The voicemail of %(name)s plays its standard greeting again.", name=user.name),
            submit=_("Remove the greeting"), back=url_for(".settings", user_id=user_id))
    greetings.remove(user)
    flash(_("Greeting removed; the voicemail plays its standard greeting."), "success")
    return redirect(url_for(".settings", user_id=user_id), 303)


@bp.get("/voicemail/users/<int:user_id>/greeting.wav")
@requires("view", "voicemail")
def greeting_audio(user_id: int):
    data = greetings.read(get_or_404(PhoneUser, user_id, current_user))
    if data is None:
        abort(404)
    return Response(recording.wav_pcm(recording.decode(data, "g711a")), mimetype="audio/wav",
                    headers={"Cache-Control": "private, no-store"})


# --- a customer's retention ---------------------------------------------------------------------------------

@bp.route("/voicemail/customers/<int:customer_id>/retention", methods=["GET", "POST"])
@requires("view", "voicemail_retention", writes=("voicemail_retention",))
def retention_page(customer_id: int):
    customer = get_or_404(Customer, customer_id, current_user)
    form = RetentionForm(data={"days": retention.days_for(customer.id)} if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        retention.set_days(customer.id, form.days.data)
        db.session.commit()
        flash(_("Messages are kept for %(n)d days.", n=form.days.data), "success")
        return redirect(url_for(".retention_page", customer_id=customer.id), 303)
    waiting = db.session.scalar(select(db.func.count(Voicemail.id)).where(Voicemail.pbx_id == customer.pbx.id,
                                                                          Voicemail.deleted_at.is_(None)))
    return render("voicemail/retention.html", customer=customer, form=form, kept=waiting)

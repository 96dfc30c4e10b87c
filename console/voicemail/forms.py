"""Forms of the voicemail pages: a user's settings, the greeting upload, retention, store tokens."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from console.media.forms import ACCEPT
from console.web.fields import IntegerField


class SettingsForm(FlaskForm):
    email = EmailField(_l("Send voicemail to"), validators=[Optional(), Email(), Length(max=254)],
                       description=_l("Empty: the user's own address."))
    attach = BooleanField(_l("Attach the recording (WAV); otherwise only notify with a link"), default=True)
    delete_after_mail = BooleanField(_l("Delete the message from the phone's voicemail after mailing it"))
    language = SelectField(_l("Language of the mail"), choices=[("", _l("The user's language")),
                                                                ("de", "Deutsch"), ("en", "English")])


class GreetingForm(FlaskForm):
    file = FileField(_l("MP3 or WAV file"), validators=[FileRequired(_l("Choose an MP3 or WAV file."))],
                     render_kw={"accept": ACCEPT})


class RetentionForm(FlaskForm):
    days = IntegerField(_l("Keep messages for (days)"), validators=[DataRequired(), NumberRange(min=1, max=3650)])


class StoreTokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], default="Voicemail")

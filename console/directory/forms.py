"""Forms for phonebook entries, imports, lookup tokens and the Exchange account."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from console.web.fields import IntegerField


class EntryForm(FlaskForm):
    given_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    surname = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
    company = StringField(_l("Company"), validators=[Optional(), Length(max=200)])
    title = StringField(_l("Position"), validators=[Optional(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone (work)"), description=_l("Any common form, e.g. 030 1234567 or +49 30 1234567"),
                        validators=[Optional(), Length(max=40)])
    mobile = StringField(_l("Mobile"), validators=[Optional(), Length(max=40)])
    home = StringField(_l("Phone (home)"), validators=[Optional(), Length(max=40)])
    fax = StringField(_l("Fax"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or vCard file"), validators=[FileRequired()],
                     description=_l("CSV with a header row (given_name, surname, company, title, email, phone, "
                                    "mobile, home, fax, note — German column names work too) or a .vcf file."))


class ConfirmImportForm(FlaskForm):
    duplicates = RadioField(_l("Entries with a number that is already in the book"), default="skip",
                            choices=[("skip", _l("Skip them (keep the book as it is)")),
                                     ("update", _l("Update the existing entries with the file's values"))])


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), default="PBX",
                       validators=[DataRequired(), Length(max=100)])


class ExchangeForm(FlaskForm):
    endpoint = URLField(_l("EWS endpoint"), description=_l("e.g. https://mail.stimme.example/EWS/Exchange.asmx"),
                        validators=[DataRequired(), Length(max=500)])
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), description=_l("Stored encrypted and never shown again; leave empty "
                                                            "to keep the current one."),
                             validators=[Optional(), Length(max=500)])
    mailbox = EmailField(_l("Mailbox (primary SMTP address)"), validators=[DataRequired(), Email(), Length(max=254)])
    folders = TextAreaField(_l("Contact folders"), description=_l("One per line; empty means the Contacts folder."),
                            validators=[Optional(), Length(max=500)])
    include_gal = BooleanField(_l("Include the global address list (GAL)"), default=False,
                               description=_l("Everyone in the organisation's address list, read in full on "
                                              "every sync; entries removed there are removed here."))
    interval_minutes = IntegerField(_l("Sync every … minutes"), default=60,
                                    validators=[DataRequired(), NumberRange(min=5, max=24 * 60)])
    enabled = BooleanField(_l("Sync on schedule"), default=True)

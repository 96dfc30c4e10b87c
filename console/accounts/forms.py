"""Forms for resellers, customers, licences, sites, trunks and phone users."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
from console.web.fields import DateField, coerce_id

LANGUAGE_CHOICES = [("de", "Deutsch"), ("en", "English")]


def licence_choices():
    return [(LicenceKind.BASE.value, _l("Base licence")),
            (LicenceKind.EXTENDED.value, _l("Extended base licence (with IP411 gateway)")),
            (LicenceKind.DEMO.value, _l("Demo licence (4 weeks, staff only)"))]


def package_choices():
    return [(Package.KLARE.value, _l("Klare stimme (telephony)")),
            (Package.KLINGENDE.value, _l("Klingende stimme (+ UC client, voicemail)")),
            (Package.VOLLE.value, _l("Volle stimme (+ mobility, video, fax)"))]


class ResellerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    notice_email = EmailField(_l("E-mail for notices"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language of notices"), choices=LANGUAGE_CHOICES)


class CustomerForm(FlaskForm):
    name = StringField(_l("Customer name"), validators=[DataRequired(), Length(max=200)])
    customer_number = StringField(_l("Customer number"), validators=[Optional(), Length(max=40)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])


class NewCustomerForm(CustomerForm):
    reseller_id = SelectField(_l("Reseller"), coerce=coerce_id)
    # What a PBX name may be is decided in one place: console.accounts.services.check_pbx_name.
    pbx_name = StringField(_l("PBX name"), description=_l("The PBX's host name, e.g. mueller.stimme.cloud"),
                           validators=[DataRequired(), Length(max=100)])
    licence = SelectField(_l("Licence"), choices=licence_choices)
    licence_start = DateField(_l("Licence start"), validators=[Optional()])
    gateway_serial = StringField(_l("IP411 gateway serial number"), validators=[Optional(), Length(max=40)])
    site_name = StringField(_l("Main site"), default="Zentrale", validators=[DataRequired(), Length(max=100)])
    street = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Regexp(r"^\d{5}$", message=_l(
        "A German postcode has five digits."))])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])


class LicenceForm(FlaskForm):
    licence = SelectField(_l("Licence"), choices=licence_choices)
    licence_start = DateField(_l("Licence start"), validators=[Optional()])
    gateway_serial = StringField(_l("IP411 gateway serial number"), validators=[Optional(), Length(max=40)])


class SiteForm(FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=100)])
    street = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Regexp(r"^\d{5}$", message=_l(
        "A German postcode has five digits."))])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])


class TrunkForm(FlaskForm):
    kind = SelectField(_l("Connection"), choices=[(TrunkKind.SIP.value, _l("SIP trunk")),
                                                  (TrunkKind.ISDN.value, _l("ISDN through the gateway"))])
    provider = SelectField(_l("SIP provider"), choices=[
        ("", "–"), (Provider.PEOPLEFONE.value, "Peoplefone"), (Provider.TELEKOM.value, "Telekom"),
        (Provider.PLUSNET.value, "Plusnet"), (Provider.OTHER.value, _l("Other tested provider"))])
    provider_name = StringField(_l("Other provider's name"), validators=[Optional(), Length(max=100)])
    base_number = StringField(_l("Base number"), description=_l("e.g. 030 1234567 for the block 030 1234567-0 to -99"),
                              validators=[DataRequired(), Length(max=40)])
    first_extension = StringField(_l("First extension"), default="0", validators=[DataRequired(), Length(max=6)])
    last_extension = StringField(_l("Last extension"), default="99", validators=[DataRequired(), Length(max=6)])


class PhoneUserForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    site_id = SelectField(_l("Site"), coerce=coerce_id)
    extension = StringField(_l("Extension"), validators=[DataRequired(), Length(max=6)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    package = SelectField(_l("Package"), choices=package_choices)
    fax_number = StringField(_l("Personal fax number"), description=_l("Volle stimme only"),
                             validators=[Optional(), Length(max=40)])
    home_office = BooleanField(_l("Works in a home office or away from the site"))
    emergency_notice_given = BooleanField(_l("The customer told this user to use another phone for emergency "
                                             "calls when away from the site (§3.3)"))

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from console.billing.services import PRICE_ITEMS


class RunForm(FlaskForm):
    month = StringField(_l("Month (YYYY-MM)"), validators=[
        DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Write the month as YYYY-MM, e.g. 2026-11."))])


class PriceForm(FlaskForm):
    item = SelectField(_l("Item"), choices=[(i, i) for i in PRICE_ITEMS])
    price = StringField(_l("Net price (EUR)"), validators=[DataRequired(), Length(max=20)])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()],
                           description=_l("A date inside a month takes effect from the 1st of the next month."))


class TokenForm(FlaskForm):
    name = StringField(_l("Name (the system that uses it)"), validators=[DataRequired(), Length(max=100)])

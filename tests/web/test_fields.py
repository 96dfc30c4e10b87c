"""Optional date and time fields: empty is no value (and no error); half a value is an error on the field."""
import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import DataRequired, Optional

from console.web.fields import DateAndTimeField, DateField, DateTimeLocalField


class _Form(Form):
    at = DateAndTimeField("At", validators=[Optional()])
    day = DateField("Day", validators=[Optional()])
    local = DateTimeLocalField("Local", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    needed = DateAndTimeField("Needed", validators=[DataRequired()])


def _form(app, *pairs):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        form = _Form(MultiDict([("needed", "2026-12-01"), ("needed", "14:30"), *pairs]))
        form.validate()
        return form


def test_optional_date_fields_left_empty_are_accepted_as_no_value(app):
    form = _form(app, ("at", ""), ("at", ""), ("day", ""), ("local", ""))
    assert form.errors == {}
    assert (form.at.data, form.day.data, form.local.data) == (None, None, None)


@pytest.mark.parametrize("pair", [("", "10:00"), ("2026-12-01", "")])
def test_an_optional_date_and_time_half_filled_says_what_is_missing(app, pair):
    form = _form(app, ("at", pair[0]), ("at", pair[1]))
    assert form.errors["at"] == ["Give the date and the time."]
    assert form.at.data is None


def test_filled_and_required_fields_still_read_and_refuse(app):
    form = _form(app, ("at", "2026-12-01"), ("at", "09:05"), ("day", "2026-12-24"), ("local", "nonsense"))
    assert form.at.data.isoformat() == "2026-12-01T09:05:00"
    assert form.day.data.isoformat() == "2026-12-24"
    assert list(form.errors) == ["local"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        empty = _Form(MultiDict([("needed", ""), ("needed", "")]))
        assert not empty.validate() and empty.errors["needed"] == ["This field is required."]

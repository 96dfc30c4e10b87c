"""Form fields that refuse what the database or the calendar cannot hold, with a message on the field.

WTForms' own IntegerField reads "٣" as 3 and takes 2^70 whole (the INSERT then fails); its date fields take the
year 1, which no conversion between Berlin and UTC survives. Forms import these instead; `coerce_id` is the
`coerce=` of every SelectField that holds row ids.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import fields

from console.bounds import DATE_MESSAGE, INT_MESSAGE, MAX_INT, coerce_id, day_in_range, parse_int

__all__ = ["DateAndTimeField", "DateField", "DateTimeLocalField", "IntegerField", "coerce_id"]


class _SaysWhy:
    """The message of a value that could not be read wins over DataRequired's "This field is required" (which
    clears every earlier error: "2^70 is required" would leave the user guessing)."""

    def validate(self, form, extra_validators=()):
        valid = super().validate(form, extra_validators)
        if self.process_errors:
            self.errors = list(self.process_errors)
            return False
        return valid


class IntegerField(_SaysWhy, fields.IntegerField):
    """A whole number of ASCII digits that fits an INTEGER column."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = parse_int(valuelist[0], maximum=MAX_INT)
        if self.data is None:
            raise ValueError(str(INT_MESSAGE))


class _InRange(_SaysWhy):
    def process_formdata(self, valuelist):
        if not valuelist or not " ".join(valuelist).strip():   # left empty: no value, not an unreadable one
            self.data = None                                   # (else _SaysWhy fails an Optional() field)
            return
        super().process_formdata(valuelist)
        value = self.data
        if value is not None and not day_in_range(value if not hasattr(value, "date") else value.date()):
            self.data = None
            raise ValueError(str(DATE_MESSAGE))


class DateField(_InRange, fields.DateField):
    """A day within bounds.FIRST_DAY … LAST_DAY."""


class DateTimeLocalField(_InRange, fields.DateTimeLocalField):
    """A Berlin wall-clock time within bounds.FIRST_DAY … LAST_DAY."""


class DateAndTimeWidget:
    """Two inputs under one name, a date and a time (`<input type=date>` + `<input type=time>`): the browser's
    own pickers, no ISO text to type. What was sent is shown again, also when it could not be read."""

    def __call__(self, field, **kwargs):
        day, time = field.parts()
        invalid = ' aria-invalid="true"' if field.errors else ""
        described = kwargs.get("aria-describedby") or kwargs.get("aria_describedby")
        described = f' aria-describedby="{escape(described)}"' if described else ""
        return Markup(
            f'<span class="date-time" role="group" aria-label="{escape(field.label.text)}">'
            f'<input type="date" id="{escape(field.id)}" name="{escape(field.name)}" value="{escape(day)}"'
            f' aria-label="{escape(field.date_label)}"{invalid}{described}>'
            f'<input type="time" id="{escape(field.id)}-time" name="{escape(field.name)}" value="{escape(time)}"'
            f' aria-label="{escape(field.time_label)}"{invalid}></span>')


class DateAndTimeField(_SaysWhy, fields.Field):
    """A Berlin wall-clock time from a date field and a time field of the same name (data: a naive datetime,
    or None when both are empty; a single ISO value with an offset, as a script may send, is that aware instant).
    One part without the other, or a day out of range, is an error on the field that names what is missing, also
    when the field is Optional() (which looks only at the first part and would drop the error)."""
    widget = DateAndTimeWidget()

    def __init__(self, label=None, validators=None, date_label=None, time_label=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.date_label = date_label or _l("Date")
        self.time_label = time_label or _l("Time")

    def parts(self) -> tuple[str, str]:
        if self.raw_data:
            day = self.raw_data[0] if len(self.raw_data) > 0 else ""
            time = self.raw_data[1] if len(self.raw_data) > 1 else ""
            return day, time
        if self.data is not None:
            return self.data.strftime("%Y-%m-%d"), self.data.strftime("%H:%M")
        return "", ""

    def process_formdata(self, valuelist):
        values = [(v or "").strip() for v in valuelist or ()]
        if len(values) == 1 and len(values[0]) > 10:   # one value "2026-11-27 09:30" (a client without the pair)
            try:
                instant = datetime.fromisoformat(values[0])
            except ValueError:
                instant = None
            if instant is not None and instant.tzinfo is not None:   # with its offset: that instant, as given
                if not day_in_range(instant.date()):
                    raise ValueError(str(DATE_MESSAGE))
                self.data = instant
                return
            values = values[0].replace("T", " ", 1).split(" ", 1)
        day, time = (values + ["", ""])[:2]
        day, time = day.strip(), time.strip()
        self.data = None
        if not day and not time:
            return
        if not day or not time:
            raise ValueError(str(_l("Give the date and the time.")))
        try:
            value = datetime.strptime(f"{day} {time[:5]}", "%Y-%m-%d %H:%M")
        except ValueError:
            raise ValueError(str(_l("Give the date and the time.")))
        if not day_in_range(value.date()):
            raise ValueError(str(DATE_MESSAGE))
        self.data = value

    def _value(self):
        day, time = self.parts()
        return f"{day} {time}".strip()

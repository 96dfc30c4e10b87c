"""Form fields that refuse what the database or the calendar cannot hold, with a message on the field.

WTForms' own IntegerField reads "٣" as 3 and takes 2^70 whole (the INSERT then fails); its date fields take the
year 1, which no conversion between Berlin and UTC survives. Forms import these instead; `coerce_id` is the
`coerce=` of every SelectField that holds row ids.
"""
from __future__ import annotations

from wtforms import fields

from console.bounds import DATE_MESSAGE, INT_MESSAGE, MAX_INT, coerce_id, day_in_range, parse_int

__all__ = ["DateField", "DateTimeLocalField", "IntegerField", "coerce_id"]


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
        super().process_formdata(valuelist)
        value = self.data
        if value is not None and not day_in_range(value if not hasattr(value, "date") else value.date()):
            self.data = None
            raise ValueError(str(DATE_MESSAGE))


class DateField(_InRange, fields.DateField):
    """A day within bounds.FIRST_DAY … LAST_DAY."""


class DateTimeLocalField(_InRange, fields.DateTimeLocalField):
    """A Berlin wall-clock time within bounds.FIRST_DAY … LAST_DAY."""

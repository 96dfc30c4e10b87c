from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.web.fields import DateTimeLocalField, coerce_id


# Unbound fields in the order the forms show them (WTForms orders fields by when they were created).
_kind = SelectField(_l("Kind"), choices=[("regular", _l("Regular (outside business hours, announced 7 days ahead)")),
                                         ("emergency", _l("Emergency (fault or security risk, announced 1 hour ahead)"))])
_reason = SelectField(_l("Reason (emergency only)"), choices=[("", "–"), ("fault", _l("Fault")),
                                                               ("security", _l("Security risk"))])
_starts_at = DateTimeLocalField(_l("Start (Berlin time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
_ends_at = DateTimeLocalField(_l("End (Berlin time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class _OptionalDateTimeLocal(DateTimeLocalField):
    """Empty is "not given" (a browser always sends the empty field; console.web.fields would call it no time)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)


_announce_at = _OptionalDateTimeLocal(_l("Announce at (Berlin time)"), format="%Y-%m-%dT%H:%M",
                                      validators=[Optional()], description=_l("Empty: announce now."))


class EditWindowForm(FlaskForm):
    """What staff may change on a window: its time (a reschedule), what it affects (before it is announced), texts."""
    starts_at = _starts_at
    ends_at = _ends_at
    pbx_ids = SelectMultipleField(_l("Affected PBXs"), coerce=coerce_id, description=_l("None selected: the whole platform."))
    title_de = StringField(_l("Title (German)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    description_de = TextAreaField(_l("Description (German)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])


class WindowForm(EditWindowForm):
    kind = _kind
    reason = _reason
    announce_at = _announce_at


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class ExtendForm(FlaskForm):
    ends_at = DateTimeLocalField(_l("New end (Berlin time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """The confirmation page of a step that cannot be undone: only its CSRF token."""


class CancelForm(FlaskForm):
    note = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)],
                         description=_l("Goes into the cancellation notice to everyone affected."))

"""Forms for fault reports and their work. The report form only collects; qualification.check_report() judges."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from console.incidents.models import Category, Impact, Pattern, Priority, State
from console.incidents.qualification import FIELD_LABELS
from console.web.fields import DateAndTimeField, DateField, DateTimeLocalField, IntegerField, coerce_id


def category_choices():
    return [("", "–"), (Category.NO_INCOMING.value, _l("No incoming calls")),
            (Category.NO_OUTGOING.value, _l("No outgoing calls")),
            (Category.AUDIO.value, _l("One-way or no audio")), (Category.VOICE_QUALITY.value, _l("Poor voice quality")),
            (Category.REGISTRATION.value, _l("Registration")), (Category.FEATURE.value, _l("A feature")),
            (Category.FAX.value, _l("Fax")), (Category.VOICEMAIL.value, _l("Voicemail")),
            (Category.PHONEBOOK.value, _l("Phonebook")), (Category.OTHER.value, _l("Other"))]


def impact_choices():
    return [("", "–"), (Impact.PBX.value, _l("Whole PBX")), (Impact.SITE.value, _l("A site")),
            (Impact.SOME_USERS.value, _l("Some users")), (Impact.ONE_USER.value, _l("One user"))]


def pattern_choices():
    return [("", "–"), (Pattern.CONTINUING.value, _l("It continues")),
            (Pattern.INTERMITTENT.value, _l("It comes and goes"))]


def state_choices() -> list[tuple[str, str]]:
    """(value, label) in the request's language (called per request, so no lazy strings)."""
    return [(State.NEW.value, _("New")), (State.IN_PROGRESS.value, _("In progress")),
            (State.WAITING.value, _("Waiting for reseller")), (State.RESOLVED.value, _("Resolved")),
            (State.CLOSED.value, _("Closed"))]


def suggested_priority_choices():
    return [("", _l("As the impact implies"))] + priority_choices()


def priority_choices() -> list[tuple[str, str]]:
    return [(Priority.P1.value, _("P1 – total outage")), (Priority.P2.value, _("P2 – major")),
            (Priority.P3.value, _("P3 – minor")), (Priority.P4.value, _("P4 – question or wish"))]


class ReportForm(FlaskForm):
    """No required-validators and no choice checks here: check_report() names every missing or invalid field at
    once, exactly as the API does, and refuses another reseller's customer or sites."""
    title = StringField(FIELD_LABELS["title"], validators=[Length(max=200)])
    customer_id = SelectField(FIELD_LABELS["customer_id"], coerce=str, validate_choice=False)
    site_ids = SelectMultipleField(FIELD_LABELS["site_ids"], coerce=str, validate_choice=False)
    category = SelectField(FIELD_LABELS["category"], choices=category_choices, validate_choice=False)
    impact = SelectField(FIELD_LABELS["impact"], choices=impact_choices, validate_choice=False)
    affected_numbers = TextAreaField(FIELD_LABELS["affected_numbers"],
                                     description=_l("One per line or separated by commas, with area code."))
    started_at = DateAndTimeField(FIELD_LABELS["started_at"], description=_l("Berlin time."),
                                  date_label=_l("Day the fault started"), time_label=_l("Time the fault started"))
    pattern = SelectField(FIELD_LABELS["pattern"], choices=pattern_choices, validate_choice=False)
    priority = SelectField(_l("Urgency (your suggestion)"), choices=suggested_priority_choices,
                           validate_choice=False, description=_l(
                               "Left empty, the impact decides: the whole PBX down is P1, a site P2, otherwise "
                               "P3. Our staff confirm or change it."))
    reproduction = TextAreaField(FIELD_LABELS["reproduction"])
    example_calls = TextAreaField(FIELD_LABELS["example_calls"], description=_l(
        "One call per line: date time, from, to — e.g. 2026-11-27 10:15, 030 1234567, 0171 2345678"))
    contact_name = StringField(FIELD_LABELS["contact_name"], validators=[Length(max=200)])
    contact_phone = StringField(FIELD_LABELS["contact_phone"], validators=[Length(max=40)])
    delay_ms = StringField(FIELD_LABELS["delay_ms"], description=_l("Only for poor voice quality."))
    jitter_ms = StringField(FIELD_LABELS["jitter_ms"])
    loss_percent = StringField(FIELD_LABELS["loss_percent"])
    description = TextAreaField(_l("Anything else"))
    attachment = FileField(_l("Screenshot or packet capture (up to 10 MB)"))

    def suggested_priority(self) -> Priority | None:
        """The urgency the reporter chose, or None (then the impact implies it: services.implied_priority)."""
        return Priority(self.priority.data) if self.priority.data in {p.value for p in Priority} else None

    def report_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "title", "customer_id", "site_ids", "category", "impact", "affected_numbers", "started_at", "pattern",
            "reproduction", "example_calls", "contact_name", "contact_phone", "delay_ms", "jitter_ms",
            "loss_percent", "description")}


RESOLUTION_HELP = _l("When resolving: what was done, in a sentence or two. The reseller receives it by mail.")


class AttributesForm(FlaskForm):
    """The desk's attribute panel: everything about the report's handling, saved with one button."""
    state = SelectField(_l("State"), choices=state_choices)
    priority = SelectField(_l("Priority"), choices=priority_choices)
    assignee_id = SelectField(_l("Assignee"), coerce=coerce_id)
    resolution_note = TextAreaField(_l("Resolution note"), validators=[Optional(), Length(max=2000)],
                                    description=RESOLUTION_HELP)


def state_after_choices() -> list[tuple[str, str]]:
    labels = dict(state_choices())
    return [("", _("Unchanged"))] + [(s.value, labels[s.value]) for s in (State.IN_PROGRESS, State.WAITING,
                                                                          State.RESOLVED)]


class ComposerForm(FlaskForm):
    """The reply composer: a public reply or an internal note, the state after sending, time spent."""
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=20000)])
    visibility = SelectField(_l("Send as"), choices=lambda: [("public", _("Public reply (mailed to the reseller)")),
                                                            ("internal", _("Internal note (staff only)"))],
                             default="public")
    state_after = SelectField(_l("State after sending"), choices=state_after_choices, default="")
    resolution_note = TextAreaField(_l("Resolution note"), validators=[Optional(), Length(max=2000)],
                                    description=_l("Only when resolving; empty: the public reply is the note."))
    minutes = IntegerField(_l("Time spent (minutes)"), validators=[Optional(), NumberRange(min=1, max=1440)])
    place = SelectField(_l("Where"), choices=lambda: [("remote", _("Remote")),
                                                      ("on_site", _("On site (billable, §7.11)"))],
                        default="remote")


class TimeForm(FlaskForm):
    """Time worked on another day than today (today's time goes with the reply composer)."""
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=1440)])
    on_site = BooleanField(_l("On site (billable, §7.11)"))
    worked_on = DateField(_l("Day"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class ReplyForm(FlaskForm):
    """The reseller's answer."""
    body = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=20000)])


class MergeForm(FlaskForm):
    target = StringField(_l("Merge into incident number"), validators=[DataRequired(), Length(max=20)])


class AttachmentForm(FlaskForm):
    attachment = FileField(_l("Screenshot or packet capture (up to 10 MB)"))


class OutageForm(FlaskForm):
    start = DateTimeLocalField(_l("Start (Berlin time)"), validators=[DataRequired()])
    end = DateTimeLocalField(_l("End (Berlin time, empty while ongoing)"), validators=[Optional()])
    platform_wide = BooleanField(_l("The whole platform"))
    pbx_ids = SelectMultipleField(_l("Affected PBXs"), coerce=coerce_id)
    incident_numbers = StringField(_l("Linked incidents (numbers, comma-separated)"), validators=[Optional()])
    description = TextAreaField(_l("What was down"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    reseller_id = SelectField(_l("Reseller"), coerce=coerce_id)
    name = StringField(_l("Name (the system that uses it)"), validators=[DataRequired(), Length(max=100)])


# About a year of service hours (9 h on some 250 days): a deadline further out is a typo, and each deadline is
# found by walking the service calendar minute by minute from the report.
MAX_SLA_MINUTES = 9 * 60 * 250
_SLA_RANGE = NumberRange(1, MAX_SLA_MINUTES)


class SlaTargetForm(FlaskForm):
    response_minutes = IntegerField(_l("Response (service minutes)"), validators=[DataRequired(), _SLA_RANGE])
    update_minutes = IntegerField(_l("Update (service minutes)"), validators=[DataRequired(), _SLA_RANGE])
    resolution_minutes = IntegerField(_l("Resolution (service minutes)"), validators=[DataRequired(), _SLA_RANGE])

"""Upload forms: a new item with its first file, and a new version of an item."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from console.media.models import MediaKind, MediaTarget

# What the file picker offers; the content decides what is accepted (console.media.audio).
ACCEPT = "audio/mpeg,audio/mp3,audio/wav,audio/x-wav,.mp3,.wav"


class VersionForm(FlaskForm):
    file = FileField(_l("MP3 or WAV file"), validators=[FileRequired(_l("Choose an MP3 or WAV file."))],
                     render_kw={"accept": ACCEPT})
    normalize = BooleanField(_l("Even out the loudness (a quiet recording is raised, a loud one lowered)"),
                             default=True)


class NewMediaForm(VersionForm):
    kind = SelectField(_l("Kind"), choices=[(MediaKind.HOLD_MUSIC.value, _l("Hold music")),
                                            (MediaKind.ANNOUNCEMENT.value, _l("Announcement before answer"))])
    target = SelectField(_l("Announcement for"), choices=[
        (MediaTarget.OPERATOR.value, _l("the operator (extension 0)")), (MediaTarget.GROUP.value, _l("a group"))],
        description=_l("Only for announcements."))
    group_name = StringField(_l("Group"), validators=[Optional(), Length(max=100)],
                             description=_l("Only for an announcement for a group: its name on the PBX."))
    name = StringField(_l("Name"), validators=[Length(max=100)])

    field_order = ("csrf_token", "kind", "name", "target", "group_name", "file", "normalize")

    def __iter__(self):
        return iter([self[name] for name in self.field_order])

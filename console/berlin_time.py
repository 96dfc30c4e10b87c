"""Europe/Berlin wall-clock time for people: unambiguous text, and safe parsing of what they type.

Statuspage users complain of windows shifted by a time zone or a DST change. So what people read names the
weekday, the date, the zone abbreviation and the UTC offset, and what they type is refused when the wall-clock
time does not exist (the spring-forward gap) or exists twice (the autumn hour).
"""
from __future__ import annotations

from datetime import datetime, timezone

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l

from console.clock import BERLIN
from console.errors import RuleViolation


def describe(instant: datetime, language: str = "de") -> str:
    """E.g. "Dienstag, 8. Dezember 2026, 22:00 Uhr MEZ (UTC+01:00)" / "Tuesday, 8 December 2026, 22:00 CET (UTC+01:00)"."""
    local = instant.astimezone(BERLIN)
    offset = local.strftime("%z")
    zone = local.tzname() if language == "en" else {"CET": "MEZ", "CEST": "MESZ"}.get(local.tzname(), local.tzname())
    if language == "en":
        text = format_datetime(local, "EEEE, d MMMM y, HH:mm", locale="en")
        return f"{text} {zone} (UTC{offset[:3]}:{offset[3:]})"
    text = format_datetime(local, "EEEE, d. MMMM y, HH:mm", locale="de")
    return f"{text} Uhr {zone} (UTC{offset[:3]}:{offset[3:]})"


def parse_local(naive: datetime, field: str) -> datetime:
    """A wall-clock time typed for Berlin → an aware UTC instant; gaps and doubled hours are refused."""
    first = naive.replace(tzinfo=BERLIN, fold=0)
    if first.astimezone(timezone.utc).astimezone(BERLIN).replace(tzinfo=None) != naive:
        raise RuleViolation({field: _l("%(t)s does not exist on this day (clocks go forward). Choose a time "
                                       "outside 02:00–03:00.", t=naive.strftime("%d.%m.%Y %H:%M"))})
    if first.utcoffset() != naive.replace(tzinfo=BERLIN, fold=1).utcoffset():
        raise RuleViolation({field: _l("%(t)s happens twice on this day (clocks go back). Choose a time outside "
                                       "02:00–03:00.", t=naive.strftime("%d.%m.%Y %H:%M"))})
    return first.astimezone(timezone.utc)

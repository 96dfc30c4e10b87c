"""Europe/Berlin wall-clock time for people: unambiguous text, and safe parsing of what they type.

Statuspage users complain of windows shifted by a time zone or a DST change. So what people read names the
weekday, the date, the zone abbreviation and the UTC offset, and what they type is refused when the wall-clock
time does not exist (the spring-forward gap) or exists twice (the autumn hour).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable

from babel import Locale
from babel.dates import format_datetime, get_date_format, get_datetime_format, get_time_format, parse_pattern
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


# CLDR pattern fields → how to write them for a Berlin wall-clock datetime (babel's rules for these fields).
_FIELDS: dict[str, Callable[[datetime, Locale], str]] = {
    "d": lambda v, _: str(v.day), "dd": lambda v, _: f"{v.day:02d}",
    "M": lambda v, _: str(v.month), "MM": lambda v, _: f"{v.month:02d}",
    "MMM": lambda v, loc: loc.months["format"]["abbreviated"][v.month],
    "MMMM": lambda v, loc: loc.months["format"]["wide"][v.month],
    "y": lambda v, _: str(v.year), "yy": lambda v, _: f"{v.year % 100:02d}", "yyyy": lambda v, _: f"{v.year:04d}",
    "EEE": lambda v, loc: loc.days["format"]["abbreviated"][v.weekday()],
    "EEEE": lambda v, loc: loc.days["format"]["wide"][v.weekday()],
    "H": lambda v, _: str(v.hour), "HH": lambda v, _: f"{v.hour:02d}",
    "h": lambda v, _: str(v.hour % 12 or 12), "hh": lambda v, _: f"{v.hour % 12 or 12:02d}",
    "mm": lambda v, _: f"{v.minute:02d}", "ss": lambda v, _: f"{v.second:02d}",
    "a": lambda v, loc: loc.day_periods["format"]["abbreviated"]["am" if v.hour < 12 else "pm"],
}
_NAMED = ("short", "medium", "long", "full")


@lru_cache(maxsize=64)
def wall_clock_formatter(locale: str, fmt: str = "medium") -> Callable[[datetime], str]:
    """A function writing an instant as Berlin wall-clock time, as babel's format_datetime(…, fmt, locale) does,
    with the pattern looked up and parsed once: a list page formats two times per row, and babel interprets the
    pattern field by field on every call. Patterns with fields not in _FIELDS (time zones) go to babel."""
    loc = Locale.parse(locale)
    if fmt in _NAMED:
        format_string = (get_datetime_format(fmt, locale=loc).replace("'", "")
                         .replace("{0}", get_time_format(fmt, locale=loc).format)
                         .replace("{1}", get_date_format(fmt, locale=loc).format))
    else:
        format_string = parse_pattern(fmt).format
    fields = re.findall(r"%\((\w+)\)s", format_string)
    if not set(fields) <= _FIELDS.keys():
        return lambda instant: format_datetime(instant.astimezone(BERLIN), fmt, locale=loc)
    positional, writers = re.sub(r"%\((\w+)\)s", "%s", format_string), [_FIELDS[name] for name in fields]

    def write(instant: datetime) -> str:
        local = instant.astimezone(BERLIN)
        return positional % tuple([writer(local, loc) for writer in writers])
    return write

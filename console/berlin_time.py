"""Europe/Berlin wall-clock time for people: unambiguous text, and safe parsing of what they type.

Statuspage users complain of windows shifted by a time zone or a DST change. So what people read names the
weekday, the date, the zone abbreviation and the UTC offset, and what they type is refused when the wall-clock
time does not exist (the spring-forward gap) or exists twice (the autumn hour). A time typed with a UTC offset
is that instant and needs no such care.
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


# Instants people may type: nothing in this console happens before 2000 or after 2999, and outside that range
# adding a window's length or a reminder's lead could overflow what datetime can hold.
MIN_YEAR, MAX_YEAR = 2000, 2999
_HAS_TIME = re.compile(r"\d[T ]\d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> tuple[int, int] | None:
    """`2026-11` → (2026, 11); None for anything else, a month 00 or 13 and years outside MIN_YEAR–MAX_YEAR."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not MIN_YEAR <= int(match[1]) <= MAX_YEAR:
        return None
    return int(match[1]), int(match[2])


def parse_typed(text: str, field: str) -> datetime:
    """A date and time as a person types it → an aware UTC instant, or a RuleViolation saying what to write.

    ISO 8601 with a time: `2026-12-08T22:00` or `2026-12-08 22:00` is Berlin wall-clock time (see parse_local);
    with an offset (`2026-12-21T22:00+00:00`, `…Z`) it is exactly that instant, whatever Berlin's clocks do.
    """
    text = text.strip()
    try:
        if len(text) > 40 or not _HAS_TIME.search(text):
            raise ValueError(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RuleViolation({field: _l("“%(text)s” is not a date and time. Write e.g. 2026-12-08T22:00 (Berlin "
                                       "time) or 2026-12-08T21:00+00:00 (with a UTC offset).",
                                       text=text[:40])}) from None
    return parse_local(value, field)


def _show(value: datetime) -> str:
    text = f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value.hour:02d}:{value.minute:02d}"
    offset = value.strftime("%z") if value.tzinfo is not None else ""
    return f"{text} UTC{offset[:3]}:{offset[3:]}" if offset else text


def _out_of_range(shown: str, field: str) -> RuleViolation:
    return RuleViolation({field: _l("%(t)s is outside the years %(first)d–%(last)d.", t=shown, first=MIN_YEAR,
                                    last=MAX_YEAR)})


def parse_local(value: datetime, field: str) -> datetime:
    """A time typed for Berlin → an aware UTC instant.

    A naive value is Berlin wall-clock time: one that does not exist (the spring-forward gap) or exists twice
    (the autumn hour) is refused. An aware value (typed with an offset) already names an instant: it is taken
    as it is, also inside those hours."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        shown = _show(value)
        try:
            instant = value.astimezone(timezone.utc)
        except OverflowError:
            raise _out_of_range(shown, field) from None
        if not MIN_YEAR <= instant.year <= MAX_YEAR:
            raise _out_of_range(shown, field)
        return instant
    naive = value.replace(tzinfo=None)
    shown = _show(naive)
    if not MIN_YEAR <= naive.year <= MAX_YEAR:
        raise _out_of_range(shown, field)
    first = naive.replace(tzinfo=BERLIN, fold=0)
    if first.astimezone(timezone.utc).astimezone(BERLIN).replace(tzinfo=None) != naive:
        raise RuleViolation({field: _l("%(t)s does not exist on this day (clocks go forward). Choose a time "
                                       "outside 02:00–03:00.", t=shown)})
    if first.utcoffset() != naive.replace(tzinfo=BERLIN, fold=1).utcoffset():
        raise RuleViolation({field: _l("%(t)s happens twice on this day (clocks go back). Choose a time outside "
                                       "02:00–03:00.", t=shown)})
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

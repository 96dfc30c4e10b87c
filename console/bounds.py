"""What any input may be, in one place: ids, whole numbers, measurements and dates from URLs, forms and the API.

Every value that reaches the database or date arithmetic passes one of these checks first, so a number past the
64-bit limit, a digit that only looks like one ("²", "٣") or the year 1 is refused with a message instead of
failing deep inside a driver (OverflowError, "integer out of range") or in `datetime` ("year is out of range").
"""
from __future__ import annotations

import math
import unicodedata
import re
from datetime import date, datetime, time, timezone

from flask_babel import lazy_gettext as _l

from console.clock import BERLIN

MAX_INT = 2**31 - 1         # the largest value of an INTEGER column on PostgreSQL (minutes, counts)
# Row ids are INTEGER primary keys: on PostgreSQL a lookup with a larger id fails ("integer out of range"), on
# SQLite one past 2^63 does (OverflowError). No row has a larger id, so a larger one names nothing.
MAX_ID = MAX_INT
MAX_PAGE = 1_000_000        # further than any list reaches; keeps OFFSET well inside 64 bits
MAX_SEARCH = 200            # characters of a search term (SQLite refuses LIKE patterns over 50,000 bytes)
MAX_MEASURE = 1_000_000.0   # a delay, jitter or loss figure beyond this is a typo, not a measurement

# Dates people type, report or filter by. Far enough for every real use (licences, windows, reports), and far
# enough from datetime's own limits (years 1 and 9999) that converting between Berlin and UTC, adding a week
# or going to the next month never leaves the calendar.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
FIRST_INSTANT = datetime.combine(FIRST_DAY, time(0), BERLIN)
LAST_INSTANT = datetime.combine(LAST_DAY, time(23, 59, 59, 999999), BERLIN)

_DIGITS = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"[+-]?[0-9]+")

ID_MESSAGE = _l("Choose one of the entries offered.")
INT_MESSAGE = _l("Give a whole number written with the digits 0–9, at most %(max)s.", max=f"{MAX_INT:,}")
DATE_MESSAGE = _l("Give a date in the years %(first)d to %(last)d.", first=FIRST_DAY.year, last=LAST_DAY.year)


def is_ascii_digits(text: str) -> bool:
    """Only 0–9 (str.isdigit() also says yes to "²" and to Arabic-Indic digits, which int() may not read)."""
    return bool(_DIGITS.fullmatch(text))


def parse_id(raw) -> int | None:
    """A row id from a URL, form or JSON value: a positive integer up to MAX_ID, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    text = str(raw).strip() if raw is not None else ""
    if not is_ascii_digits(text) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def coerce_id(raw) -> int:
    """For SelectField(coerce=…): like int(), but only ids that can exist (raises ValueError otherwise)."""
    value = parse_id(raw)
    if value is None and raw not in (0, "0"):
        raise ValueError(str(ID_MESSAGE))
    return value or 0


def parse_int(raw, *, maximum: int = MAX_INT) -> int | None:
    """A whole number that fits an INTEGER column (ASCII digits, optional sign), else None."""
    text = str(raw).strip() if raw is not None else ""
    if not _SIGNED.fullmatch(text) or len(text) > 20:
        return None
    value = int(text)
    return value if -maximum <= value <= maximum else None


def search_term(raw: str | None) -> str:
    """What a search box sent, trimmed and cut to MAX_SEARCH characters (nothing is that long in a name)."""
    return (raw or "").strip()[:MAX_SEARCH].strip()


def page_number(raw) -> int:
    """?page= as a page number: 1 for anything that is not one, at most MAX_PAGE (an empty page past the end)."""
    text = str(raw).strip() if raw is not None else ""
    if not is_ascii_digits(text):
        return 1
    return max(1, min(int(text[:12]), MAX_PAGE)) if len(text) <= 12 else MAX_PAGE


def parse_measure(raw) -> float | None:
    """A non-negative finite measurement (delay, jitter, loss), "35" or "35,5"; None if it is not one."""
    if isinstance(raw, bool):
        return None
    try:
        value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip().replace(",", "."))
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_MEASURE else None


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def instant_in_range(value: datetime) -> bool:
    """An aware instant (or a naive Berlin wall-clock time) within FIRST_DAY … LAST_DAY."""
    if value.tzinfo is None:
        return FIRST_DAY <= value.date() <= LAST_DAY
    # An instant near year 1 or 9999 cannot even be converted to UTC: that alone says it is out of range.
    return _convertible(value) and FIRST_INSTANT <= value <= LAST_INSTANT


def _convertible(value: datetime) -> bool:
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        return False
    return True


def clamp_day(day: date) -> date:
    """A filter date moved into the range (a filter "from year 1" means "from the beginning")."""
    return min(max(day, FIRST_DAY), LAST_DAY)


def clean_filename(name: str | None, fallback: str = "attachment", max_length: int = 200) -> str:
    """The last path segment of an uploaded file's name without control characters (NUL, CR, LF, …), which no
    header (Content-Disposition) and no database may carry; `fallback` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    return kept.strip()[:max_length].strip() or fallback

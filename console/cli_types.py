"""Parameter types for the command line: every value is checked while click parses it.

A bad value is a usage error: click prints the command's usage and the reason and exits with status 2, before
the command does anything. Each type has an `example` of a good value (the help texts and the test that walks
every command use it). Lookups by name or id that find nothing raise `not_found()`, also a usage error.
"""
from __future__ import annotations

import math
import re
import unicodedata

import click
from flask_babel import gettext as _

from console.errors import RuleViolation

MAX_ID = 2**63 - 1  # the largest id a database column holds


class Text(click.ParamType):
    """Text without control characters, invalid UTF-8 (which click passes on as lone surrogates) or excess."""
    name = "text"
    example = "Text"

    def __init__(self, max_length: int = 1000, multiline: bool = False):
        self.max_length, self.multiline = max_length, multiline

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        if len(value) > self.max_length:
            self.fail(_("is longer than %(n)d characters.", n=self.max_length), param, ctx)
        allowed = "\n\t" if self.multiline else ""
        bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed), None)
        if bad is not None:
            self.fail(_("contains the control character U+%(code)04X or invalid UTF-8; type it without.",
                        code=ord(bad)), param, ctx)
        return value


class Email(Text):
    """An e-mail address, checked as the sign-in form and save_login check it."""
    name = "email"
    example = "anna@stimme.example"

    def convert(self, value, param, ctx):
        from console.auth.services import normalise_email
        value = super().convert(value, param, ctx)
        try:
            return normalise_email(value)
        except RuleViolation as exc:
            self.fail(exc.text(), param, ctx)


class BerlinDateTime(Text):
    """A date and time: Berlin wall-clock time, or an instant when it carries a UTC offset."""
    name = "datetime"
    example = "2026-12-08T22:00"

    def convert(self, value, param, ctx):
        from console.berlin_time import parse_typed
        if not isinstance(value, str):
            return value
        value = super().convert(value, param, ctx)
        try:
            return parse_typed(value, param.name if param else "")
        except RuleViolation as exc:
            self.fail(exc.text(), param, ctx)


class Month(Text):
    """YYYY-MM."""
    name = "YYYY-MM"
    example = "2026-12"

    def convert(self, value, param, ctx):
        from console.berlin_time import MAX_YEAR, MIN_YEAR, parse_month
        if not isinstance(value, str):
            return value
        value = super().convert(value, param, ctx)
        month = parse_month(value)
        if month is None:
            self.fail(_("“%(value)s” is not a month. Write YYYY-MM, e.g. 2026-12 (years %(first)d–%(last)d).",
                        value=value[:20], first=MIN_YEAR, last=MAX_YEAR), param, ctx)
        return month


class Id(click.ParamType):
    """A row id: a whole number from 1 to what the database holds."""
    name = "id"
    example = "1"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        if not re.fullmatch(r"[0-9]{1,19}", value.strip()) or not 1 <= int(value) <= MAX_ID:
            self.fail(_("“%(value)s” is not an id (a whole number from 1).", value=value[:30]), param, ctx)
        return int(value)


class Port(Id):
    name = "port"
    example = "8025"

    def convert(self, value, param, ctx):
        if not isinstance(value, int) and not re.fullmatch(r"[0-9]{1,5}", value.strip()):
            self.fail(_("“%(value)s” is not a port (1–65535).", value=value[:30]), param, ctx)
        port = int(value)
        if not 1 <= port <= 65535:
            self.fail(_("“%(value)s” is not a port (1–65535).", value=str(value)[:30]), param, ctx)
        return port


class Seconds(click.ParamType):
    """A finite number of seconds within bounds (click's FLOAT takes "nan" and "inf")."""
    name = "seconds"
    example = "2"

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = math.nan
        if not (math.isfinite(seconds) and self.low <= seconds <= self.high):
            self.fail(_("“%(value)s” is not a number of seconds from %(low)s to %(high)s.", value=str(value)[:30],
                        low=self.low, high=self.high), param, ctx)
        return seconds


def not_found(message: str, param_name: str) -> click.BadParameter:
    """For a name or id that names nothing: a usage error (exit status 2) naming the parameter."""
    return click.BadParameter(message, param_hint=param_name)

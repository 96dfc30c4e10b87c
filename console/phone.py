"""The one phone-number normaliser: whatever people type becomes E.164 (+4930…), or a clear error."""
from __future__ import annotations

import re

import phonenumbers
from flask_babel import lazy_gettext as _l

# "+49 (0)30 …" is common in German letterheads; the "(0)" is the national prefix and must go.
_TRUNK_ZERO = re.compile(r"^\s*(\+|00)\s*(\d{1,3})\s*\(0\)")


class InvalidNumber(ValueError):
    def __init__(self, raw: str):
        super().__init__(raw)
        self.raw = raw
        self.message = _l("\"%(raw)s\" is not a valid phone number. Write it with area code, "
                          "e.g. 030 1234567 or +49 30 1234567.", raw=raw)


def _clean(raw: str) -> str:
    text = _TRUNK_ZERO.sub(r"+\2", (raw or "").strip())
    return "+" + text[2:] if text.startswith("00") else text


def to_e164(raw: str, region: str = "DE") -> str:
    """Normalise a number written nationally or internationally (spaces, dashes, slashes, brackets, 0049)."""
    text = _clean(raw)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(raw) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_e164_prefix(raw: str, region: str = "DE") -> str:
    """Normalise the base of a number block: a number without its extension digits.

    A block base is often not a valid number on its own; callers validate base + extension with to_e164().
    """
    text = _clean(raw)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber(raw) from None
    return f"+{number.country_code}{number.national_number}"


def area_prefix(e164: str) -> str | None:
    """Country code and area code of a number (+4930 for +49301234567), None where the plan has no areas."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    length = phonenumbers.length_of_geographical_area_code(number)
    if not length:
        return None
    return f"+{number.country_code}{str(number.national_number)[:length]}"


def in_area(raw: str, prefix: str) -> str | None:
    """A number written without its area code ("1234567"), completed with `prefix`, if that makes a valid one."""
    digits = re.sub(r"[\s\-/().]", "", raw or "")
    if not digits.isdigit() or digits.startswith("0"):
        return None
    try:
        number = phonenumbers.parse(prefix + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pretty(e164: str | None) -> str:
    """E.164 in international format for people to read (+49 30 1234567)."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164

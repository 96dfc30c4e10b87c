"""JSON request bodies for the API: read strictly, then checked against the schema the console itself serves.

One source of truth: the validator is built from the served OpenAPI document (JSON Schema 2020-12, as OpenAPI
3.1 uses), so what the description forbids is exactly what is refused. Every refusal names the field and says in
the caller's language (Accept-Language) what would be accepted.
"""
from __future__ import annotations

import json
import math
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import Request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from console.web.guard import unstorable

MAX_DEPTH = 20  # far deeper than any body the API takes; deep nesting only exercises recursion


class BodyRefused(Exception):
    """The body is not a JSON object at all: the status (400 or 415) and a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _no_constant(name: str):
    raise ValueError(name)  # NaN, Infinity and -Infinity are not JSON (RFC 8259)


def _finite(text: str) -> float:
    """A number such as 1e999 would be read as Infinity, which the API refuses when it is spelt out: refused alike
    (found by tests/fuzz/test_api_json.py)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


def read_object(request: Request) -> dict:
    """The body as a JSON object; BodyRefused for another media type, bad UTF-8, bad JSON or too deep nesting."""
    if not request.is_json:
        raise BodyRefused(415, _("Send the report as a JSON object (Content-Type: application/json)."))
    try:
        text = request.get_data(cache=True).decode("utf-8")
        body = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError:
        raise BodyRefused(400, _("The body is not valid UTF-8.")) from None
    except RecursionError:
        raise BodyRefused(400, _("The JSON is nested too deeply.")) from None
    except ValueError as exc:
        raise BodyRefused(400, _("The body is not valid JSON (%(reason)s).", reason=str(exc)[:200])) from None
    if not isinstance(body, dict):
        raise BodyRefused(400, _("Send the report as a JSON object (Content-Type: application/json)."))
    if _depth(body) > MAX_DEPTH:
        raise BodyRefused(400, _("The JSON is nested too deeply."))
    return body


def _depth(value: Any) -> int:
    """Nesting depth without recursion (the body may be deeper than Python's recursion limit allows)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


# --- the schema -----------------------------------------------------------------------------------------------

FORMATS = FormatChecker(formats=("date-time", "date"))  # date-time needs rfc3339-validator (pinned)


@FORMATS.checks("email", raises=EmailNotValidError)
def _email(value) -> bool:
    """An address a mail can be sent to (jsonschema's own check only looks for an "@"; CR/LF pass it)."""
    if isinstance(value, str):
        validate_email(value, check_deliverability=False)
    return True


def validator(document: dict, schema: str) -> Draft202012Validator:
    """A validator for components/schemas/<schema> of an OpenAPI 3.1 document, with its $refs and formats."""
    uri = "urn:console:openapi"
    registry = Registry().with_resource(uri, Resource(contents=document, specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry,
                                format_checker=FORMATS)


def invalid_fields(check: Draft202012Validator, body: dict, *, skip_required: bool = True) -> dict[str, str]:
    """Top-level field → one message for each field that breaks the schema (or holds text that cannot be stored).

    `required` is left to the caller where it names missing fields itself, with their labels."""
    found: dict[str, str] = {}
    for name, value in body.items():
        where = _unstorable_at(value)
        if where is not None or unstorable(name):
            found[name if not unstorable(name) else "?"] = _(
                "%(at)s contains a character that cannot be stored (a NUL or a lone surrogate).",
                at=_path((name, *(where or ()))) if not unstorable(name) else "?")
    errors = sorted(check.iter_errors(body),
                    key=lambda e: (len(e.absolute_path), str(list(e.absolute_path)), e.validator != "type"))
    for error in errors:
        path = tuple(error.absolute_path)
        if not path:
            if error.validator == "required" and not skip_required:
                for name in error.validator_value:
                    if name not in body:
                        found.setdefault(name, _("%(at)s is missing.", at=name))
            continue
        found.setdefault(str(path[0]), _message(error, path))
    return found


def _unstorable_at(value: Any, path: tuple = ()) -> tuple | None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str) and unstorable(item):
            return where
        if isinstance(item, dict):
            for key, child in item.items():
                if unstorable(key):
                    return where
                stack.append((child, (*where, key)))
        elif isinstance(item, list):
            stack.extend((child, (*where, i)) for i, child in enumerate(item))
    return None


def _path(path: tuple) -> str:
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _type_name(name) -> str:
    names = {"integer": _("a whole number"), "number": _("a number"), "string": _("text in quotes"),
             "array": _("a list [...]"), "object": _("an object {...}"), "boolean": _("true or false"),
             "null": _("null")}
    if isinstance(name, list):
        return _(" or ").join(names.get(n, n) for n in name)
    return names.get(name, name)


def _message(error: ValidationError, path: tuple) -> str:
    at, keyword, limit = _path(path), error.validator, error.validator_value
    if keyword == "type":
        return _("%(at)s must be %(type)s.", at=at, type=_type_name(limit))
    if keyword == "maxLength":
        return _("%(at)s is longer than %(n)d characters.", at=at, n=limit)
    if keyword == "minLength":
        return _("%(at)s must not be empty.", at=at)
    if keyword == "minItems":
        return _("%(at)s needs at least %(n)d entries.", at=at, n=limit)
    if keyword == "maxItems":
        return _("%(at)s has more than %(n)d entries.", at=at, n=limit)
    if keyword == "enum":
        return _("%(at)s: choose one of %(choices)s.", at=at, choices=", ".join(map(str, limit)))
    if keyword == "minimum":
        return _("%(at)s must be at least %(n)s.", at=at, n=limit)
    if keyword == "maximum":
        return _("%(at)s must be at most %(n)s.", at=at, n=limit)
    if keyword == "required":
        return _("%(at)s needs the fields %(names)s.", at=at, names=", ".join(limit))
    if keyword == "format" and limit == "email":
        return _("%(at)s is not an e-mail address.", at=at)
    if keyword in ("anyOf", "format", "pattern"):
        return _("%(at)s: give date and time as ISO 8601, e.g. 2026-11-27T09:30:00+01:00 (without an offset: "
                 "Berlin time).", at=at)
    return _("%(at)s is not valid here.", at=at)

"""Text no page can store: refused once, before any view runs, with the parameter named.

A NUL character is valid in a URL (%00) and in a form, but PostgreSQL refuses it in every text column and file
paths refuse it too; a lone surrogate cannot be written as UTF-8 at all. Rather than have each view find out
in its driver (a 500), every path, query and form value is checked here: the answer is a 400 that says which
field holds the character. File contents are not text and are not checked; an upload's *name* is cleaned by
the service that stores it.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _

from console.web.errors import InputRefused


def unstorable(value: str) -> bool:
    """Whether text holds a NUL or cannot be encoded as UTF-8 (a lone surrogate)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _values():
    for name, value in (request.view_args or {}).items():
        yield name, value
    yield from request.args.items(multi=True)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        yield from request.form.items(multi=True)


def refuse_unstorable_text() -> None:
    for name, value in _values():
        if isinstance(value, str) and (unstorable(value) or unstorable(name)):
            shown = name if not unstorable(name) else "?"
            raise InputRefused(_("The field “%(field)s” contains a character that cannot be stored (a NUL or an "
                                 "invalid character). Remove it and try again.", field=shown[:80]))


def register(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)

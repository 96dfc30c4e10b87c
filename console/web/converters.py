"""The app's `int` URL converter: ids an INTEGER primary key can hold (bounds.MAX_ID), written with 0–9.

Registered as the app's `int` converter (create_app), so every `<int:…>` route takes it: /customers/999…9 (past
2^63: OverflowError on SQLite; past 2^31: "integer out of range" on PostgreSQL) is a 404 like any id that does
not exist, and
Werkzeug's default `\\d+` (which matches any Unicode digit, "٣" among them) is narrowed to ASCII.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from console.bounds import MAX_ID


class IdConverter(IntegerConverter):
    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002  Werkzeug's names
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None or max > MAX_ID else max,
                         signed=signed)
        if signed:
            self.regex = r"-?[0-9]+"


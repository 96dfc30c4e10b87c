"""One row in every table the features left empty, so that a backup round trip covers every table and every
column type (time zones, binary, JSON, floats, enums): a table added later is covered without touching the test.

Values are made from the model's column types; a foreign key points at the first row of the table it names.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from console import clock
from console.extensions import db


def _value(column: sa.Column, n: int):
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        return _value(sa.Column(column.name, kind.impl_instance), n)
    if isinstance(kind, sa.Enum):
        members = list(kind.enum_class) if kind.enum_class else list(kind.enums)
        return members[-1]          # the last member: not the default a bug could silently put back
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, (sa.Integer, sa.BigInteger, sa.SmallInteger)):
        return 40 + n
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return 2.5 + n
    if isinstance(kind, sa.DateTime):
        return clock.now() - timedelta(days=3, microseconds=n)
    if isinstance(kind, sa.Date):
        return date(2026, 2, 28)
    if isinstance(kind, sa.LargeBinary):
        return bytes(range(256))
    if isinstance(kind, sa.JSON):
        return {"Schlüssel": ["wert", n]}
    if isinstance(kind, (sa.String, sa.Text)):
        length = getattr(kind, "length", None) or 40
        return f"Füllung {column.name} {n}"[:length]
    raise TypeError(f"tests/ops/fill.py has no value for {column.table.name}.{column.name} ({kind!r})")


def fill_every_empty_table() -> list[str]:
    """Insert one row into each empty table (parents first); returns the tables it filled."""
    filled = []
    for table in db.metadata.sorted_tables:
        if db.session.scalar(select(func.count()).select_from(table)):
            continue
        row = {}
        for n, column in enumerate(table.columns):
            if column.primary_key and column.autoincrement is not False and isinstance(column.type, sa.Integer) \
                    and not column.foreign_keys and len(table.primary_key.columns) == 1:
                continue   # the database numbers it
            if column.foreign_keys:
                target = next(iter(column.foreign_keys)).column
                if target.table is table:
                    continue   # a row pointing at itself: left empty (nullable by nature)
                row[column.name] = db.session.scalar(select(target).order_by(target).limit(1))
                continue
            row[column.name] = _value(column, n)
        db.session.execute(table.insert().values(**row))
        filled.append(table.name)
    db.session.commit()
    return filled

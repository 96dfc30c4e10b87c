"""The one shape of a job: claim an item in a short transaction, do the slow work outside any transaction, record
the result in its own commit. One bad item fails alone: its failure is recorded (the job's `fail` counts the tries
and tells staff when they run out) and the next item goes on.

    run_items(claim=…, start=…, work=…, record=…, fail=…)

- `claim()` lists the candidates (ids or small snapshots); committed at once.
- `start(item)` takes one item in a short transaction (a conditional UPDATE, say, so a second runner does not take
  it) and returns what the work needs as plain values, or None when there is nothing to do; committed at once, so
  the item's "in progress" state is visible to every other connection.
- `work(plan)` runs with no transaction open and must not touch the session (on SQLite a transaction that may
  write holds the write lock).
- `record(item, result)` writes the outcome; committed on its own.
- `fail(item, exc)` runs after a rollback when start, work or record raised; committed on its own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from console.extensions import db

log = logging.getLogger("console.jobs")
T = TypeVar("T")


def _nothing_to_do(plan: Any) -> Any:
    return plan


def run_items(*, claim: Callable[[], Iterable[T]], record: Callable[[T, Any], None],
              fail: Callable[[T, Exception], None], start: Callable[[T], Any] | None = None,
              work: Callable[[Any], Any] = _nothing_to_do) -> int:
    """Process every claimed item in the one shape; returns how many were claimed."""
    items = list(claim())
    db.session.commit()
    for item in items:
        try:
            plan = start(item) if start is not None else item
            db.session.commit()
            if plan is None:
                continue
            result = work(plan)
            record(item, result)
            db.session.commit()
        except Exception as exc:   # this item alone: the others go on
            db.session.rollback()
            try:
                fail(item, exc)
                db.session.commit()
            except Exception:   # recording the failure failed too: the item stays claimed until its lease ends
                log.exception("job item %r: its failure could not be recorded", item)
                db.session.rollback()
    return len(items)

"""When to try again after a temporary failure: like a mail server, doubling waits for up to five days."""
from __future__ import annotations

from datetime import datetime, timedelta

FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=5)


def next_attempt(attempts: int, first_seen: datetime, now: datetime) -> datetime | None:
    """The time of the next try after `attempts` failed ones, or None once the five days are over."""
    wait = min(FIRST_WAIT * 2 ** min(max(attempts - 1, 0), 20), LONGEST_WAIT)
    due = now + wait
    return None if due - first_seen > GIVE_UP_AFTER else due

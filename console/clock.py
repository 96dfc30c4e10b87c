"""The one source of "now". Tests move it; code never calls datetime.now() directly."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at an aware instant (None thaws it). For tests and simulations only."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _frozen = instant.astimezone(timezone.utc) if instant else None


def today_berlin():
    return now().astimezone(BERLIN).date()

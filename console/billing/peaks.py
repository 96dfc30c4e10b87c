"""Peak licence counts per customer and Berlin month, replayed from the append-only licence history (§2).

Billing counts the maximum provided at any instant of the month. The state at an instant is the state after
*all* events stamped with that instant, so a user deleted and re-created in one go counts once, and a package
change counts the user for the package held after it (each package on its own, not cumulatively).
A PBX counts nothing while its licence is demo (§2.3); from the instant it becomes base it counts fully.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable, Protocol

from console.accounts.models import LicenceEventKind as Ev, LicenceKind, Package
from console.clock import BERLIN

PACKAGES = tuple(p.value for p in Package)                       # klare, klingende, volle
LICENCES = (LicenceKind.BASE.value, LicenceKind.EXTENDED.value)  # demo is never billed
ITEMS = PACKAGES + LICENCES + ("additional_sites",)


class HistoryRow(Protocol):
    id: int
    at: datetime
    kind: Ev
    subject_id: int | None
    old_value: str | None
    new_value: str | None


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a month that begins at local midnight on the 1st in Europe/Berlin."""
    start = datetime.combine(date(year, month, 1), time(0), BERLIN)
    following = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(following, time(0), BERLIN)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


class _Pbx:
    """The billable state of one PBX, kept up to date per event (counts per package, not recounted)."""

    def __init__(self) -> None:
        self.users: dict[int, str] = {}  # phone user id → package value
        self.per_package: Counter[str] = Counter()
        self.extra_sites: set[int] = set()
        self.licence: str | None = None

    def _set_user(self, user: int | None, package: str | None) -> None:
        old = self.users.pop(user, None)
        if old is not None:
            self.per_package[old] -= 1
        if package is not None:
            self.users[user] = package
            self.per_package[package] += 1

    def apply(self, ev: HistoryRow) -> None:
        if ev.kind in (Ev.USER_ADDED, Ev.PACKAGE_CHANGED):
            self._set_user(ev.subject_id, ev.new_value)
        elif ev.kind is Ev.USER_REMOVED:
            self._set_user(ev.subject_id, None)
        elif ev.kind is Ev.SITE_ADDED and ev.new_value == "additional":
            self.extra_sites.add(ev.subject_id)
        elif ev.kind is Ev.SITE_REMOVED:
            self.extra_sites.discard(ev.subject_id)
        elif ev.kind is Ev.LICENCE_CHANGED:
            self.licence = ev.new_value

    def counts(self) -> dict[str, int]:
        """What is billable right now: nothing while the licence is demo."""
        if self.licence == LicenceKind.DEMO.value:
            return dict.fromkeys(ITEMS, 0)
        result = {p: self.per_package[p] for p in PACKAGES}
        result |= {kind: int(self.licence == kind) for kind in LICENCES}
        result["additional_sites"] = len(self.extra_sites)
        return result


@dataclass(frozen=True)
class Point:
    at: datetime                # UTC; the first point is the month's start
    counts: dict[str, int]
    event_ids: tuple[int, ...]  # the history rows that made this point (at the start: those stamped with it)


@dataclass(frozen=True)
class MonthCurve:
    start: datetime
    end: datetime
    points: list[Point]

    @property
    def peaks(self) -> dict[str, int]:
        return {item: max(p.counts[item] for p in self.points) for item in ITEMS}

    def peak_point(self, item: str) -> Point:
        """The first instant the month reached its peak for `item`."""
        top = self.peaks[item]
        return next(p for p in self.points if p.counts[item] == top)


def curve(history: Iterable[HistoryRow], year: int, month: int) -> MonthCurve:
    """The billable counts at the month's start and after every instant with events inside the month."""
    start, end = month_bounds(year, month)
    rows = sorted((r for r in history if r.at < end), key=lambda r: (r.at, r.id))
    pbx = _Pbx()
    points: list[Point] = []
    i = 0
    while i < len(rows) and rows[i].at < start:
        pbx.apply(rows[i])
        i += 1
    at_start = []  # rows stamped with the month's first instant already hold when the month begins
    while i < len(rows) and rows[i].at == start:
        pbx.apply(rows[i])
        at_start.append(rows[i].id)
        i += 1
    points.append(Point(start, pbx.counts(), tuple(at_start)))
    while i < len(rows):
        instant, ids = rows[i].at, []
        while i < len(rows) and rows[i].at == instant:
            pbx.apply(rows[i])
            ids.append(rows[i].id)
            i += 1
        points.append(Point(instant, pbx.counts(), tuple(ids)))
    return MonthCurve(start, end, points)


def peaks(history: Iterable[HistoryRow], year: int, month: int) -> dict[str, int]:
    return curve(history, year, month).peaks

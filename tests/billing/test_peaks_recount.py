"""Peaks against a brute-force recount: the history sampled minute by minute, each minute put in its Berlin month.

Random histories cluster their changes around a month boundary and a DST change (spring and autumn 2026),
with package changes, deletions and re-creations at the same minute, sites, and demo ↔ base changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from console.accounts.models import LicenceEventKind as Ev
from console.billing.peaks import ITEMS, curve, peaks
from console.clock import BERLIN

UTC = timezone.utc
# (window start, instants worth crowding around, the two months either side of the boundary)
WINDOWS = {
    "spring": (datetime(2026, 3, 27, tzinfo=UTC),
               [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 31, 22, 0, tzinfo=UTC)],
               [(2026, 3), (2026, 4)]),
    "autumn": (datetime(2026, 10, 23, tzinfo=UTC),
               [datetime(2026, 10, 25, 1, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 0, tzinfo=UTC)],
               [(2026, 10), (2026, 11)]),
}


@dataclass
class Row:
    id: int
    at: datetime
    kind: Ev
    subject_id: int | None
    old_value: str | None
    new_value: str | None


OPS = st.sampled_from(["add", "add", "remove", "package", "recreate", "licence", "site_add", "site_remove"])


@st.composite
def histories(draw):
    name = draw(st.sampled_from(sorted(WINDOWS)))
    window_start, hot, months = WINDOWS[name]
    near = st.builds(lambda base, d: base + timedelta(minutes=d), st.sampled_from(hot), st.integers(-90, 90))
    anywhere = st.builds(lambda d: window_start + timedelta(minutes=d), st.integers(0, 9 * 24 * 60))
    steps = draw(st.lists(st.tuples(st.one_of(near, anywhere), OPS, st.integers(0, 50),
                                    st.sampled_from(["klare", "klingende", "volle"]),
                                    st.sampled_from(["base", "extended", "demo"])), max_size=40))
    rows: list[Row] = [Row(1, window_start - timedelta(days=40), Ev.LICENCE_CHANGED, 1, None,
                           draw(st.sampled_from(["base", "demo"])))]
    live: dict[int, str] = {}
    sites: list[int] = []
    next_subject = iter(range(100, 10_000))

    def emit(at, kind, subject, old, new):
        rows.append(Row(len(rows) + 1, at, kind, subject, old, new))

    for at, op, pick, package, licence in sorted(steps, key=lambda s: s[0]):
        at = at.replace(second=0, microsecond=0)
        users = sorted(live)
        if op == "add" or (op in ("remove", "package", "recreate") and not users):
            user = next(next_subject)
            live[user] = package
            emit(at, Ev.USER_ADDED, user, None, package)
        elif op == "remove":
            user = users[pick % len(users)]
            emit(at, Ev.USER_REMOVED, user, live.pop(user), None)
        elif op == "package":
            user = users[pick % len(users)]
            emit(at, Ev.PACKAGE_CHANGED, user, live[user], package)
            live[user] = package
        elif op == "recreate":  # deleted and created again as a new row, in the same minute
            user = users[pick % len(users)]
            emit(at, Ev.USER_REMOVED, user, live.pop(user), None)
            new = next(next_subject)
            live[new] = package
            emit(at, Ev.USER_ADDED, new, None, package)
        elif op == "licence":
            emit(at, Ev.LICENCE_CHANGED, 1, None, licence)
        elif op == "site_add":
            site = next(next_subject)
            sites.append(site)
            emit(at, Ev.SITE_ADDED, site, None, "additional")
        elif op == "site_remove" and sites:
            emit(at, Ev.SITE_REMOVED, sites.pop(pick % len(sites)), "additional", None)
    return rows, months


def brute_force(rows: list[Row], year: int, month: int) -> dict[str, int]:
    """Every UTC minute near the month, kept if its Berlin wall-clock date lies in the month; the state at a minute
    is every row stamped at or before it. (Counts are recomputed only in minutes that had rows, for speed.)"""
    ordered = sorted(rows, key=lambda r: (r.at, r.id))
    users: dict[int, str] = {}
    sites: set[int] = set()
    licence = None
    best = dict.fromkeys(ITEMS, 0)
    minute = datetime(year, month, 1, tzinfo=UTC) - timedelta(days=1)
    stop = minute + timedelta(days=34)
    i, counts = 0, None
    while minute < stop:
        changed = counts is None
        while i < len(ordered) and ordered[i].at <= minute:
            r = ordered[i]
            if r.kind in (Ev.USER_ADDED, Ev.PACKAGE_CHANGED):
                users[r.subject_id] = r.new_value
            elif r.kind is Ev.USER_REMOVED:
                users.pop(r.subject_id, None)
            elif r.kind is Ev.SITE_ADDED:
                sites.add(r.subject_id)
            elif r.kind is Ev.SITE_REMOVED:
                sites.discard(r.subject_id)
            else:
                licence = r.new_value
            i, changed = i + 1, True
        if changed:
            billed = licence != "demo"
            counts = {p: billed * list(users.values()).count(p) for p in ("klare", "klingende", "volle")}
            counts |= {"base": int(licence == "base"), "extended": int(licence == "extended"),
                       "additional_sites": billed * len(sites)}
        local = minute.astimezone(BERLIN)
        if (local.year, local.month) == (year, month):
            best = {k: max(best[k], counts[k]) for k in ITEMS}
        minute += timedelta(minutes=1)
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_every_peak_equals_the_minute_by_minute_recount(case):
    rows, months = case
    for year, month in months:
        assert peaks(rows, year, month) == brute_force(rows, year, month), (year, month)


def test_a_change_at_the_months_first_instant_already_holds_for_that_month():
    """Found by the recount: a user removed at 1 Nov 00:00 Berlin (31 Oct 23:00 UTC) was still counted in November."""
    start = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    rows = [Row(1, start - timedelta(days=40), Ev.LICENCE_CHANGED, 1, None, "base"),
            Row(2, start - timedelta(days=5), Ev.USER_ADDED, 100, None, "klare"),
            Row(3, start - timedelta(days=5), Ev.USER_ADDED, 101, None, "klare"),
            Row(4, start, Ev.USER_REMOVED, 100, "klare", None),
            Row(5, start, Ev.USER_ADDED, 106, None, "volle")]
    assert peaks(rows, 2026, 11)["klare"] == 1 == brute_force(rows, 2026, 11)["klare"]
    assert peaks(rows, 2026, 11)["volle"] == 1
    assert peaks(rows, 2026, 10)["klare"] == 2


def test_a_package_change_counts_the_user_once_per_package_and_a_recreation_once():
    t = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    rows = [Row(1, t - timedelta(days=60), Ev.LICENCE_CHANGED, 1, None, "base"),
            Row(2, t, Ev.USER_ADDED, 7, None, "klare"),
            Row(3, t + timedelta(hours=1), Ev.PACKAGE_CHANGED, 7, "klare", "volle"),
            Row(4, t + timedelta(hours=2), Ev.USER_REMOVED, 7, "volle", None),
            Row(5, t + timedelta(hours=2), Ev.USER_ADDED, 8, None, "volle")]
    assert peaks(rows, 2026, 11) == {"klare": 1, "klingende": 0, "volle": 1, "base": 1, "extended": 0,
                                     "additional_sites": 0}
    assert curve(rows, 2026, 11).peak_point("volle").event_ids == (3,)


def test_the_night_of_the_1st_in_berlin_belongs_to_the_new_month():
    # 2026-11-30 23:30 UTC is 1 December 00:30 in Berlin: not November's, but December's.
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    rows = [Row(1, late - timedelta(days=90), Ev.LICENCE_CHANGED, 1, None, "base"),
            Row(2, late, Ev.USER_ADDED, 7, None, "klare"),
            Row(3, late + timedelta(hours=1), Ev.USER_REMOVED, 7, "klare", None)]
    assert peaks(rows, 2026, 11)["klare"] == 0
    assert peaks(rows, 2026, 12)["klare"] == 1

"""Benchmark: a month's billing peaks for 1,000 customers × 50 users with a year of licence history.

Builds its own database (BENCH_DATABASE_URL, default a fresh SQLite file in a temporary directory; a PostgreSQL URL
works too, everything in it is replaced): per customer a base licence, 50 users added in January and about four
package changes, removals or re-creations per user spread over the year, and some additional sites.
Times the console's peaks (console.billing.services.month_peaks: one read of the history, replayed in Python,
per Berlin month, demo time excluded) for November 2026 against the baseline: one SQL query computing the same
peaks in the database (deltas per item, a running sum per customer and item, the maximum from the month's start).
The baseline does not model demo time (the history here has none), so both must agree exactly; they are compared
before timing. Prints the median of BENCH_RUNS runs of each and the ratio.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, insert, text  # noqa: E402

from console import create_app  # noqa: E402
from console.accounts.models import Customer, LicenceEvent, Reseller  # noqa: E402
from console.billing.peaks import ITEMS, month_bounds  # noqa: E402
from console.billing.services import month_peaks  # noqa: E402
from console.config import Settings  # noqa: E402
from console.db import UTCDateTime  # noqa: E402
from console.extensions import db  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "1000"))
USERS = int(os.environ.get("BENCH_USERS", "50"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
YEAR, MONTH = 2026, 11
PACKAGES = ["klare", "klingende", "volle"]

PEAKS_SQL = text("""
WITH deltas AS (
    SELECT customer_id, at, new_value AS item, 1 AS n FROM licence_event
     WHERE at < :end AND kind IN ('user_added', 'package_changed', 'licence_changed')
    UNION ALL
    SELECT customer_id, at, old_value, -1 FROM licence_event
     WHERE at < :end AND kind IN ('user_removed', 'package_changed', 'licence_changed') AND old_value IS NOT NULL
    UNION ALL
    SELECT customer_id, at, 'additional_sites', 1 FROM licence_event
     WHERE at < :end AND kind = 'site_added' AND new_value = 'additional'
    UNION ALL
    SELECT customer_id, at, 'additional_sites', -1 FROM licence_event WHERE at < :end AND kind = 'site_removed'
), per_instant AS (
    SELECT customer_id, item, CASE WHEN at < :start THEN :start ELSE at END AS at, SUM(n) AS n
      FROM deltas GROUP BY customer_id, item, CASE WHEN at < :start THEN :start ELSE at END
), levels AS (
    SELECT customer_id, item, SUM(n) OVER (PARTITION BY customer_id, item ORDER BY at) AS level FROM per_instant
)
SELECT customer_id, item, MAX(level) FROM levels GROUP BY customer_id, item
""").bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))


def build() -> int:
    rnd = random.Random(17)
    db.session.execute(insert(Reseller), [{"id": 1, "name": "Bench", "notice_email": "b@bench.example",
                                           "language": "de", "created_at": datetime(2025, 12, 1, tzinfo=timezone.utc)}])
    db.session.execute(insert(Customer), [{"id": c, "reseller_id": 1, "name": f"Kunde {c}",
                                           "created_at": datetime(2025, 12, 1, tzinfo=timezone.utc)}
                                          for c in range(1, CUSTOMERS + 1)])
    year_start = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    minutes = 365 * 24 * 60
    rows, subject = [], 10_000
    for c in range(1, CUSTOMERS + 1):
        rows.append(dict(customer_id=c, at=year_start, kind="licence_changed", subject_id=c, old_value=None,
                         new_value="base"))
        users = {}
        for _ in range(USERS):
            subject += 1
            users[subject] = rnd.choice(PACKAGES)
            rows.append(dict(customer_id=c, at=year_start, kind="user_added", subject_id=subject, old_value=None,
                             new_value=users[subject]))
        changes = sorted(year_start + timedelta(minutes=rnd.randrange(60, minutes)) for _ in range(USERS * 4))
        sites: list[int] = []
        for at in changes:
            roll = rnd.random()
            user = rnd.choice(list(users))
            if roll < 0.6:
                new = rnd.choice(PACKAGES)
                rows.append(dict(customer_id=c, at=at, kind="package_changed", subject_id=user,
                                 old_value=users[user], new_value=new))
                users[user] = new
            elif roll < 0.9:  # deleted and created again as a new row
                rows.append(dict(customer_id=c, at=at, kind="user_removed", subject_id=user,
                                 old_value=users.pop(user), new_value=None))
                subject += 1
                users[subject] = rnd.choice(PACKAGES)
                rows.append(dict(customer_id=c, at=at, kind="user_added",  # in the same instant
                                 subject_id=subject, old_value=None, new_value=users[subject]))
            elif roll < 0.97 or not sites:
                subject += 1
                sites.append(subject)
                rows.append(dict(customer_id=c, at=at, kind="site_added", subject_id=subject, old_value=None,
                                 new_value="additional"))
            else:
                rows.append(dict(customer_id=c, at=at, kind="site_removed", subject_id=sites.pop(),
                                 old_value="additional", new_value=None))
    for i in range(0, len(rows), 20_000):
        db.session.execute(insert(LicenceEvent), rows[i:i + 20_000])
    db.session.commit()
    return len(rows)


def sql_peaks() -> dict[int, dict[str, int]]:
    start, end = month_bounds(YEAR, MONTH)
    result: dict[int, dict[str, int]] = {}
    for customer_id, item, level in db.session.execute(PEAKS_SQL, {"start": start, "end": end}):
        if item in ITEMS:
            result.setdefault(customer_id, dict.fromkeys(ITEMS, 0))[item] = max(0, int(level))
    return result


def timed(func) -> tuple[float, object]:
    times, value = [], None
    for _ in range(RUNS):
        db.session.expunge_all()
        began = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - began)
    return statistics.median(times), value


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/billing_bench.db"
    app = create_app(Settings(database_url=url, secret_key="bench-secret", log_format="text"))
    with app.app_context():
        db.drop_all()
        db.create_all()
        began = time.perf_counter()
        events = build()
        print(f"built {CUSTOMERS} customers × {USERS} users, {events} history rows in "
              f"{time.perf_counter() - began:.1f} s ({db.engine.dialect.name})")
        console_time, console_result = timed(lambda: month_peaks(YEAR, MONTH))
        sql_time, sql_result = timed(sql_peaks)
        assert console_result == sql_result, "the console and the SQL baseline disagree"
        print(f"peaks {YEAR}-{MONTH:02d}, median of {RUNS}: console {console_time * 1000:.0f} ms, "
              f"one SQL query {sql_time * 1000:.0f} ms, ratio console/SQL {console_time / sql_time:.2f}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()

"""SQLite under concurrent readers and writers: what the console's lock policy costs, beside the alternatives.

Two reader processes (as gunicorn workers answering list pages: a count and 25 rows of 20,000) and two writer
processes (filing reports: read the highest number, insert, commit; about 25 a second each) run for a few
seconds on one WAL database file, through the console's own engine and session in request contexts, under
  * console   readers BEGIN (deferred), writers BEGIN IMMEDIATE       (console/db.py)
  * all-imm.  every transaction BEGIN IMMEDIATE                      (the simple alternative)
  * before    every transaction BEGIN (deferred)                     (the code as it was: writers fail)
twice: with pages that end their transaction at once, and with pages that keep it open 20 ms longer (a page
that also asks LDAP or renders a long table inside its request). Prints pages per second, page and write
latency (p50/p95) and failed writes. Goal: the console's readers as fast as "before", no failed write.
"""
from __future__ import annotations

import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

SECONDS = 4.0
ROWS = 20_000
WRITE_PAUSE = 0.04
MODES = {"console": ("GET", "POST", True), "all-imm.": ("POST", "POST", True), "before": ("GET", "POST", False)}


def _app(url: str, policy: bool):
    import logging

    import console.db as lock_policy
    from console import create_app
    from console.config import Settings
    app = create_app(Settings(database_url=url, secret_key="bench", log_format="text"))
    logging.getLogger("console.request").setLevel(logging.WARNING)
    if not policy:   # as before: no engine of the console's, every transaction a plain BEGIN
        lock_policy._console_engines.clear()
    return app


def reader(url: str, mode: str, hold: float, deadline: float, out) -> None:
    from console.extensions import db
    method, _, policy = MODES[mode]
    app, rng, times, errors = _app(url, policy), random.Random(), [], 0
    while time.monotonic() < deadline:
        customer = rng.randrange(200)
        started = time.perf_counter()
        with app.test_request_context("/incidents/", method=method):
            try:
                db.session.scalar(text("SELECT count(*) FROM report WHERE customer = :c"), {"c": customer})
                db.session.execute(text("SELECT id, title FROM report WHERE customer = :c ORDER BY id DESC LIMIT 25"),
                                   {"c": customer}).all()
                if hold:
                    time.sleep(hold)
                db.session.commit()
            except OperationalError:
                errors += 1
            finally:
                db.session.remove()
        times.append(time.perf_counter() - started)
    out.put(("reader", times, errors))


def writer(url: str, mode: str, hold: float, deadline: float, out) -> None:
    from console.extensions import db
    _, method, policy = MODES[mode]
    app, rng, times, errors = _app(url, policy), random.Random(), [], 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        with app.test_request_context("/api/v1/incidents", method=method):
            try:
                highest = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM report"))
                db.session.execute(text("INSERT INTO report (id, customer, title) VALUES (:id, :c, :t)"),
                                   {"id": highest + 1, "c": rng.randrange(200), "t": f"Störung {highest + 1}"})
                db.session.commit()
            except OperationalError:
                errors += 1
            finally:
                db.session.remove()
        times.append(time.perf_counter() - started)
        time.sleep(WRITE_PAUSE)
    out.put(("writer", times, errors))


def build(url: str) -> None:
    from console.extensions import db
    app = _app(url, True)
    with app.app_context():
        db.session.execute(text("CREATE TABLE report (id INTEGER PRIMARY KEY, customer INTEGER, title TEXT)"))
        db.session.execute(text("CREATE INDEX ix_report_customer ON report (customer, id)"))
        db.session.execute(text("INSERT INTO report (id, customer, title) VALUES (:id, :c, :t)"),
                           [{"id": n, "c": n % 200, "t": f"Störung {n}"} for n in range(1, ROWS + 1)])
        db.session.commit()
        db.engine.dispose()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000 if ordered else float("nan")


def run(url: str, mode: str, hold: float) -> dict:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    deadline = time.monotonic() + 1.0 + SECONDS   # a second to start up, then the measured stretch
    procs = [ctx.Process(target=f, args=(url, mode, hold, deadline, out)) for f in (reader, reader, writer, writer)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=60 + SECONDS) for _ in procs]
    for proc in procs:
        proc.join()
    pages = [t for kind, times, _ in results if kind == "reader" for t in times]
    writes = [t for kind, times, _ in results if kind == "writer" for t in times]
    return {"pages/s": len(pages) / (SECONDS + 1.0), "page p50": statistics.median(pages) * 1000,
            "page p95": pct(pages, 95), "write p50": statistics.median(writes) * 1000, "write p95": pct(writes, 95),
            "failed writes": sum(e for kind, _, e in results if kind == "writer"),
            "failed pages": sum(e for kind, _, e in results if kind == "reader"), "writes": len(writes)}


def main() -> None:
    print(f"SQLite (WAL), 2 reader + 2 writer processes, {SECONDS:.0f} s per run, {ROWS:,} rows")
    print(f"{'pages':>26} {'mode':>9} {'pages/s':>8} {'page p50':>9} {'p95':>7} {'write p50':>10} {'p95':>7} "
          f"{'failed writes':>14}")
    for hold, label in ((0.0, "end at once"), (0.020, "hold 20 ms")):
        for mode in MODES:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                build(url)
                r = run(url, mode, hold)
            print(f"{label:>26} {mode:>9} {r['pages/s']:8.0f} {r['page p50']:7.1f}ms {r['page p95']:5.1f}ms "
                  f"{r['write p50']:8.1f}ms {r['write p95']:5.1f}ms {r['failed writes']:6d} of {r['writes']:<6d}"
                  + (f" ({r['failed pages']} pages failed)" if r["failed pages"] else ""))


if __name__ == "__main__":
    main()

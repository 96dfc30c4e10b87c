"""Benchmark: the incident list page and a full-text search with 100,000 incidents in PostgreSQL.

Builds its own database (BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/incidents_bench;
created when the server does not have it yet, everything in it is replaced; without a PostgreSQL server the
benchmark says so and is skipped), signs in as staff and times through the Flask test client
  * GET /incidents/                   the list page (the first page of rows, their count, the layout)
  * GET /incidents/?q=<word>          a PostgreSQL full-text search (tsvector + GIN index) as the search box sends
                                      it: an htmx request for the rows (HX-Request: true)
  * the same search as a whole page   (a bookmarked or shared search URL; layout and header banner included)
against the baseline: exactly the SQL statements each request runs (captured from one request), replayed on a
raw psycopg connection right after each request. Prints p50/p95 of both and the ratio of the medians.
BENCH_REUSE=1 skips the build and measures the database a previous run left.
Goals: the page within 3x of its bare SQL, and p95 under 150 ms.
"""
from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from console import create_app  # noqa: E402
from console.accounts import services as accounts  # noqa: E402
from console.accounts.models import LicenceKind  # noqa: E402
from console.auth.models import Login, Role  # noqa: E402
from console.auth.services import save_login  # noqa: E402
from console.config import Settings  # noqa: E402
from console.extensions import db  # noqa: E402
from console.incidents.models import Incident  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/incidents_bench")
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "300"))
PASSWORD = "bench password 1"
WORDS = ["Anruf", "Telefon", "Rufnummer", "Zentrale", "Ton", "Leitung", "Störung", "Weiterleitung", "Mailbox",
         "Registrierung", "Wartemusik", "Konferenz", "Besetztzeichen", "Echo", "Rauschen", "Abbruch"]
RARE = "Faxgerät"   # in about 1 % of the reports: the search term


def ensure_database(url: str) -> bool:
    """Create the benchmark's database if the server lacks it. False when no PostgreSQL answers (or the URL is not
    PostgreSQL's): this benchmark measures PostgreSQL's full-text search and has nothing to compare without it."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        print(f"skipped: BENCH_DATABASE_URL must name a PostgreSQL database (full-text search), "
              f"not {target.drivername}")
        return False
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                {"name": target.database}).scalar():
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
                print(f"created the database {target.database}")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"skipped: no PostgreSQL answers at {target.render_as_string(hide_password=True)} ({reason}); "
              "start one or set BENCH_DATABASE_URL")
        return False
    finally:
        server.dispose()
    return True


def build(app) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        actor = Login(role=Role.STAFF_ADMIN, email="bench@stimme.example", name="bench")
        customers = []
        for r in range(20):
            reseller = accounts.save_reseller(None, name=f"Händler {r}", notice_email=f"noc{r}@h.example")
            for c in range(10):
                customers.append(accounts.create_customer(
                    actor, reseller=reseller, name=f"Kunde {r}-{c}", pbx_name=f"pbx{r}-{c}.bench",
                    licence=LicenceKind.BASE, site_name="Zentrale", street="Weg 1", postcode="10115", city="Berlin"))
        save_login(actor, None, email="staff@bench.example", name="Bench Staff", role=Role.STAFF_ADMIN,
                   password=PASSWORD, skip_password_rules=True)
        db.session.commit()
        rng = random.Random(7)
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        rows = []
        for n in range(1, INCIDENTS + 1):
            customer = customers[n % len(customers)]
            words = rng.sample(WORDS, 4) + ([RARE] if n % 100 == 0 else [])
            title = " ".join(words[:3])
            opened = start + timedelta(minutes=13 * n)
            number = f"{opened.year}-{n:06d}"
            rows.append({
                "number": number, "reseller_id": customer.reseller_id, "customer_id": customer.id,
                "pbx_id": customer.pbx.id, "channel": "form", "language": "de", "title": title,
                "description": " ".join(words), "affected_numbers": [f"+4930{1000000 + n}"], "example_calls": [],
                "qualified": True, "missing_fields": [], "state": rng.choice(["new", "in_progress", "resolved",
                                                                            "closed"]),
                "priority": rng.choice(["P1", "P2", "P3", "P4"]), "opened_at": opened, "sla_breached": n % 17 == 0,
                "sla_due_at": opened + timedelta(hours=8),
                "search_text": f"{number} {title} {' '.join(words)} {customer.name} {customer.pbx.name}",
            })
            if len(rows) == 5000:
                db.session.execute(insert(Incident.__table__), rows)
                rows = []
        if rows:
            db.session.execute(insert(Incident.__table__), rows)
        db.session.execute(text("UPDATE incident SET search_vector = to_tsvector('simple'::regconfig, search_text)"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE incident"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def capture(app, client, path: str, headers: dict) -> list[tuple[str, object]]:
    """The SQL statements one request runs, the login lookup included."""
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get(path, headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return statements


def time_interleaved(app, client, path: str, headers: dict, statements) -> tuple[list[float], list[float]]:
    """Each run times one request and then its bare SQL on the same pooled connection (so the same server process),
    so that load on the machine hits both alike."""
    page, bare = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(path, headers=headers)
        page.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        with app.app_context():
            raw = db.engine.raw_connection()   # the connection the request just gave back
        try:
            t0 = time.perf_counter()
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            cursor.close()
            raw.rollback()
            bare.append((time.perf_counter() - t0) * 1000)
        finally:
            raw.close()
    return page, bare


def main() -> None:
    if not ensure_database(URL):
        return
    settings = Settings(database_url=URL, secret_key="bench", log_format="text", demo=False)
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False
    import logging
    logging.getLogger("console.request").setLevel(logging.WARNING)
    if os.environ.get("BENCH_REUSE"):
        print(f"reusing the incidents in {URL.rsplit('/', 1)[-1]} (BENCH_REUSE is set)")
    else:
        t0 = time.perf_counter()
        build(app)
        print(f"built {INCIDENTS:,} incidents in {time.perf_counter() - t0:.1f} s ({URL.rsplit('/', 1)[-1]})")
    gc.collect()   # measure the console, not the garbage the data build left behind
    client = app.test_client()
    assert client.post("/login", data={"email": "staff@bench.example", "password": PASSWORD}).status_code == 303
    print(f"{'':34} {'console p50':>12} {'p95':>9} {'bare SQL p50':>13} {'p95':>9} {'ratio':>7}")
    search = f"/incidents/?q={RARE}"
    for label, path, headers in (("list page", "/incidents/", {}),
                                 (f"search '{RARE}' (search box)", search, {"HX-Request": "true"}),
                                 (f"search '{RARE}' (whole page)", search, {})):
        statements = capture(app, client, path, headers)
        time_interleaved(app, client, path, headers, statements)   # warm-up
        page, bare = time_interleaved(app, client, path, headers, statements)
        ratio = statistics.median(page) / statistics.median(bare)
        print(f"{label:34} {statistics.median(page):10.1f}ms {percentile(page, 95):7.1f}ms "
              f"{statistics.median(bare):11.1f}ms {percentile(bare, 95):7.1f}ms {ratio:6.2f}x"
              f"   ({len(statements)} statements; ratio goal ≤ 3x {'met' if ratio <= 3 else 'NOT met'}, "
              f"p95 goal < 150 ms {'met' if percentile(page, 95) < 150 else 'NOT met'})")


if __name__ == "__main__":
    main()

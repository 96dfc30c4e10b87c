"""Mail: time to queue 1,000 notices and to deliver them to a loopback SMTP server, beside a bare smtplib loop
sending the same 1,000 messages over one connection to the same server (the floor).

    .venv/bin/python bench/bench_mail.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/bench_mail.py   # a schema bench_mail in it
"""
from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import create_engine, inspect, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from console import create_app  # noqa: E402
from console.config import Settings  # noqa: E402
from console.ports import free_port  # noqa: E402
from console.extensions import db  # noqa: E402
from console.mail.jobs import deliver_due  # noqa: E402
from console.mail.models import OutboxMessage  # noqa: E402
from console.mail.outbox import queue_mail  # noqa: E402

N = 1000


class CountingServer:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


@contextlib.contextmanager
def own_schema(url: str):
    """On PostgreSQL a schema of the benchmark's own (the database may hold other benchmarks' data), dropped after."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS bench_mail CASCADE"))
        conn.execute(text("CREATE SCHEMA bench_mail"))
    try:
        yield make_url(url).update_query_dict({"options": "-csearch_path=bench_mail"}).render_as_string(
            hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench_mail CASCADE"))
        engine.dispose()


def main() -> None:
    logging.disable(logging.INFO)  # aiosmtpd logs every command at INFO
    counter = CountingServer()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if make_url(url).get_backend_name() == "postgresql":
            url = stack.enter_context(own_schema(url))
        app = create_app(Settings(database_url=url, log_format="text", smtp_url=f"smtp://127.0.0.1:{port}"))
        with app.app_context():
            if inspect(db.engine).get_table_names():
                sys.exit(f"bench_mail needs an empty database; {url} has tables")
            db.create_all()
            context = {"message": OutboxMessage(id=1, recipient="kunde@example.com", attempts=3,
                                                subject="Wartungsankündigung für Müller GmbH",
                                                last_error="451 4.7.1 später"), "base_url": "http://127.0.0.1:5000"}
            started = time.perf_counter()
            for n in range(N):
                queue_mail(key=f"bench-{n}", to=f"Jürgen Müßig {n} <empfaenger{n}@example.com>",
                           template="mail_failed", context=context)
            db.session.commit()
            queued = time.perf_counter() - started

            started = time.perf_counter()
            report = deliver_due()
            delivered = time.perf_counter() - started
            assert report.sent == N and counter.count == N, (report, counter.count)

            messages = [(row.recipient.rsplit("<", 1)[1].rstrip(">"), row.raw)
                        for row in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]
            db.session.remove()
            db.drop_all()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as conn:
            for recipient, raw in messages:
                conn.sendmail("noreply@stimme.local", [recipient], raw)
        bare = time.perf_counter() - started
    controller.stop()
    assert counter.count == 2 * N
    print(f"mail, {N} messages, {url.split(':')[0]}:")
    print(f"  queue (render, build, insert, commit)  {queued:7.3f} s   {queued / N * 1000:6.2f} ms/message")
    print(f"  deliver (claim, send, record)          {delivered:7.3f} s   {delivered / N * 1000:6.2f} ms/message")
    print(f"  bare smtplib loop, same messages       {bare:7.3f} s   {bare / N * 1000:6.2f} ms/message")
    print(f"  ratio deliver / bare smtplib           {delivered / bare:7.2f} x")
    print(f"  ratio (queue + deliver) / bare         {(queued + delivered) / bare:7.2f} x")


if __name__ == "__main__":
    main()

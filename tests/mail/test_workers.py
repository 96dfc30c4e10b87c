"""Two mail workers at once, each with its own database connection, against PostgreSQL: each message once."""
from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from console import create_app
from console.config import Settings
from console.extensions import db
from console.mail.jobs import deliver_due
from console.mail.models import OutboxMessage, OutboxState
from console.mail.outbox import queue_mail
from tests.mail.servers import own_database

pytestmark = pytest.mark.no_db


@pytest.fixture
def pg_app(database_url, tmp_path):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("claiming with FOR UPDATE SKIP LOCKED needs PostgreSQL (SQLite runs one worker)")
    with own_database(database_url, tmp_path, "mailer_workers") as url:
        app = create_app(Settings(database_url=url, secret_key="t", log_format="text"))
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_two_workers_deliver_every_message_exactly_once(pg_app, smtp_server):
    pg_app.extensions["settings"] = dataclasses.replace(pg_app.extensions["settings"], smtp_url=smtp_server.url)
    smtp_server.data_delay = 0.002  # long enough for the two workers to interleave
    with pg_app.app_context():
        for n in range(300):
            queue_mail(key=f"worker-{n}", to=f"r{n}@example.com", template="mail_failed",
                       context={"message": OutboxMessage(id=n, recipient="x", subject=f"n{n}", attempts=1,
                                                         last_error="e"), "base_url": ""})
        db.session.commit()

    start = threading.Barrier(2)
    reports, errors = [], []

    def worker():
        with pg_app.app_context():  # its own session, its own connection
            try:
                start.wait()
                reports.append(deliver_due(batch=10))
            except Exception as exc:  # surfaced below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert all(r.sent > 0 for r in reports), f"one worker did everything: {reports}"
    assert sum(r.sent for r in reports) == 300
    ids = smtp_server.message_ids()
    assert len(ids) == 300 and len(set(ids)) == 300
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENT)) == 300

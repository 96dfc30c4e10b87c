"""/healthz: each dependency must *answer* within a short timeout; mail, directory or a scheduler leader not seen
is degraded (200), only a database that does not answer is 503. Real servers: aiosmtpd, the suite's slapd, and a "frozen" server —
a socket that accepts connections into its backlog and never says a word, as a process stopped by SIGSTOP does.
"""
from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from console import clock, create_app, health
from console.config import Settings
from console.ops import records
from tests.mail.servers import ControllableSMTP


@pytest.fixture
def leader_seen():
    """A scheduler leader that just started a job, as a running `flask scheduler` does every few seconds."""
    records.job_ran("mail.deliver", clock.now(), 0.01, None)


@pytest.fixture
def frozen_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)   # the kernel completes the handshake; nobody ever reads or writes
        yield listener.getsockname()[1]


def test_all_answer_ok(browser, smtp_sink, leader_seen):
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert {name: check["ok"] for name, check in response.json["checks"].items()} == \
        {"database": True, "smtp": True, "ldap": True, "scheduler": True}


def test_no_scheduler_leader_is_degraded_and_says_what_to_start(browser, smtp_sink):
    response = browser.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert "flask --app app scheduler" in response.json["checks"]["scheduler"]["error"]


def test_a_leader_not_seen_for_longer_than_configured_is_degraded(browser, smtp_sink, configure):
    configure(scheduler_stale_seconds=120)
    records.job_ran("mail.deliver", clock.now() - timedelta(minutes=5), 0.01, None)
    response = browser.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["checks"]["scheduler"]["ok"] is False
    assert 299 <= response.json["checks"]["scheduler"]["last_job_seconds_ago"] <= 302


def test_a_mail_server_that_is_gone_is_degraded_not_503(browser, configure):
    server = ControllableSMTP()
    server.start()
    server.stop()
    configure(smtp_url=server.url)
    response = browser.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["checks"]["smtp"] == {"ok": False, "target": "configured (SMTP_URL)",
                                               "error": "ConnectionRefusedError"}


def test_the_embedded_sink_is_judged_too(browser, configure, frozen_port):
    configure(smtp_url="", mail_sink_port=frozen_port)
    started = time.monotonic()
    response = browser.get("/healthz")
    assert time.monotonic() - started < health.TIMEOUT + 1.5
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["checks"]["smtp"]["ok"] is False
    assert response.json["checks"]["smtp"]["target"] == "embedded sink"


def test_a_frozen_directory_is_degraded_within_the_timeout(browser, configure, smtp_sink, frozen_port, leader_seen):
    configure(ldap_url=f"ldap://127.0.0.1:{frozen_port}")
    started = time.monotonic()
    response = browser.get("/healthz")
    assert time.monotonic() - started < health.TIMEOUT + 1.5
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["checks"]["ldap"]["ok"] is False
    assert response.json["checks"]["smtp"]["ok"] is True


@pytest.mark.no_db
def test_a_database_that_does_not_answer_is_503(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'console.db'}", secret_key="test",
                              log_format="text"))
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.json["status"]) == (503, "down")
    assert response.json["checks"]["database"]["ok"] is False

"""`make run` under load and under failure, through its own processes (tests/stack/conftest.py starts them).

Nothing lost: concurrent API reports, sign-ins and a burst of inbound mail are all taken (SQLite writers wait
their turn); no message is sent twice. Nothing stuck: a companion that dies is started again while the console
keeps serving; a frozen mail server makes /healthz say degraded and does not hold up anyone's writes.
The port given is the port in every link.
"""
from __future__ import annotations

import os
import re
import signal
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest

from console import health
from tests.mail.servers import wait_for

pytestmark = pytest.mark.no_db


def _report(stack, i: int, reseller: int | None = None, **extra) -> tuple[int, dict]:
    r = stack.seed["resellers"][i % 2 if reseller is None else reseller]
    body = {"title": f"Keine eingehenden Anrufe ({i})", "customer_id": r["customer_id"], "site_ids": [r["site_id"]],
            "category": "no_incoming", "impact": "site", "affected_numbers": [r["number"]],
            "started_at": "2026-11-27T09:30:00+01:00", "pattern": "continuing",
            "reproduction": "Von extern die Zentrale anrufen: Besetztton.",
            "example_calls": [{"at": "2026-11-27T09:41:00+01:00", "from": "+491711234567", "to": r["number"]}],
            "contact_name": "Petra Pause", "contact_phone": "+49 30 9876543", **extra}
    response = stack.client().request("POST", "/api/v1/incidents", json_body=body,
                                      headers={"Authorization": f"Bearer {r['token']}"})
    return response.status, (response.json() if response.body.startswith(b"{") else {"raw": response.text[:300]})


def _reports_at_once(stack, count: int, first: int) -> list[tuple[int, dict]]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda i: _report(stack, i), range(first, first + count)))


def test_fifty_reports_at_once_from_two_resellers_are_all_stored(stack):
    before = stack.scalar("SELECT count(*) FROM incident")
    results = _reports_at_once(stack, 50, first=1000)
    assert [status for status, _ in results] == [201] * 50, [body for status, body in results if status != 201]
    assert stack.scalar("SELECT count(*) FROM incident") == before + 50
    assert len({body["number"] for _, body in results}) == 50
    for n in (1, 2):   # each reseller's 25, under its own customer
        assert stack.scalar("SELECT count(*) FROM incident WHERE customer_id = :c AND title LIKE '%(1%'",
                            c=stack.seed["customer_ids"][n - 1]) == 25


def test_sign_ins_at_once_all_succeed(stack):
    people = [stack.seed["staff"]] + [r["login"] for r in stack.seed["resellers"]]
    clients = [(stack.client(), people[n % len(people)]) for n in range(4)]
    tokens = [client.csrf() for client, _ in clients]
    with ThreadPoolExecutor(len(clients)) as pool:
        responses = list(pool.map(lambda c: c[0][0].sign_in(c[0][1], stack.seed["password"], c[1]),
                                  zip(clients, tokens)))
    assert [r.status for r in responses] == [303] * len(clients), [r.text[:200] for r in responses]
    assert all(client.get("/").status == 200 for client, _ in clients)


def test_a_burst_of_inbound_mail_is_filed_at_once(stack):
    """Twelve mails at once to the inbound port: every one is accepted and filed by the SMTP process itself,
    without waiting for the scheduler's retry (a minute later)."""
    sent_at = time.monotonic()

    def send(i: int) -> dict:
        message = EmailMessage()
        message["From"], message["To"] = "noc1@reseller.example", "stoerung@stimme.local"
        message["Subject"] = f"Störung Stoßwelle {i}: Zentrale nicht erreichbar"
        message.set_content(f"Seit 9:30 Uhr kommt kein Anruf an ({i}).")
        with smtplib.SMTP("127.0.0.1", stack.inbound_port, timeout=30) as smtp:
            return smtp.send_message(message)

    with ThreadPoolExecutor(12) as pool:
        refused = list(pool.map(send, range(12)))
    assert refused == [{}] * 12
    filed = lambda: stack.scalar("SELECT count(*) FROM incident WHERE title LIKE 'Störung Stoßwelle %'")  # noqa: E731
    wait_for(lambda: filed() == 12, seconds=20)
    assert time.monotonic() - sent_at < 20
    assert stack.scalar("SELECT count(*) FROM inbound_message WHERE state != 'handled'") == 0


def test_the_port_given_is_the_port_in_links_and_hold_music_urls(stack):
    staff = stack.client()
    assert staff.sign_in(stack.seed["staff"], stack.seed["password"]).status == 303
    page = staff.get(f"/customers/{stack.seed['customer_ids'][0]}/media").text
    urls = re.findall(r"https?://[^\s\"'<]+/pbx-media/[^\s\"'<]+", page)
    assert urls and all(url.startswith(f"{stack.base}/pbx-media/") for url in urls), urls
    assert ":5000" not in page
    # gunicorn's control socket is this instance's, not the one in ~/.gunicorn every instance would share
    assert (stack.instance / "gunicorn.ctl").is_socket()
    # the acknowledgement mails link to the console on its port, and the link works
    wait_for(lambda: any("/incidents/" in m.get_body(("plain",)).get_content() for m in stack.sink_messages()), 30)
    ack = next(m for m in stack.sink_messages() if "/incidents/" in m.get_body(("plain",)).get_content())
    link = re.search(r"https?://\S+/incidents/\d+", ack.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(f"{stack.base}/incidents/")
    assert staff.get(link).status == 200


def test_a_frozen_mail_sink_is_degraded_and_writers_still_get_their_turn(stack):
    """SIGSTOP on the sink: it still accepts connections (the kernel does) but answers nothing. /healthz says
    degraded within its timeout; the mail worker hangs on the greeting, and reports are taken meanwhile."""
    sink = stack.child_pid("mail sink")
    os.kill(sink, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = stack.health()
        assert time.monotonic() - started < health.TIMEOUT + 1.5
        assert response.status == 200 and response.json()["status"] == "degraded"
        assert response.json()["checks"]["smtp"]["ok"] is False and response.json()["checks"]["database"]["ok"]
        assert _report(stack, 2000)[0] == 201   # its acknowledgement is what the mail worker will hang on
        wait_for(lambda: stack.scalar("SELECT count(*) FROM outbox_message WHERE state = 'sending'"), seconds=30)
        started = time.monotonic()
        results = _reports_at_once(stack, 10, first=2001)
        assert [status for status, _ in results] == [201] * 10
        assert time.monotonic() - started < 8   # nobody waited out the mail worker's 30 s SMTP timeout
    finally:
        os.kill(sink, signal.SIGCONT)
    # once the sink answers again, what waited goes out: the mail was delayed, not lost
    wait_for(lambda: stack.scalar("SELECT count(*) FROM outbox_message WHERE state IN ('queued', 'sending')") == 0,
             seconds=30)


def test_a_companion_that_dies_is_started_again_and_the_console_keeps_serving(stack):
    slapd, sink = stack.slapd_pid(), stack.child_pid("mail sink")
    os.kill(slapd, signal.SIGKILL)
    os.kill(sink, signal.SIGKILL)
    assert _report(stack, 3000)[0] == 201   # fault reports are still taken
    wait_for(lambda: stack.slapd_pid() not in (None, slapd) and stack.child_pid("mail sink") not in (None, sink)
             and stack.health().json()["status"] == "ok", seconds=30)
    log = stack.log()
    assert re.search(r"slapd exited with -?\d+; starting it again in \d+ s", log)
    assert re.search(r"mail-sink exited with -9; starting it again in \d+ s", log)
    assert stack.process.poll() is None and "stopping the rest" not in log


def test_every_message_is_sent_once(stack):
    """After all of the above (concurrent writes, a frozen and a killed sink): every message the sink holds was
    recorded as sent, and each Message-ID is there exactly once. (Acknowledgements queued while the sink was
    dead wait for their retry a minute later; they are not sent yet, and not twice.)"""
    def settled():
        if stack.scalar("SELECT count(*) FROM outbox_message WHERE state = 'sending'"):
            return None
        ids = [m["Message-ID"] for m in stack.sink_messages()]
        return ids if len(ids) == stack.scalar("SELECT count(*) FROM outbox_message WHERE state = 'sent'") else None
    ids = wait_for(settled, seconds=45)
    assert len(ids) == len(set(ids))
    assert len(ids) >= 50 + 12 + 11   # everything queued before the sink was killed
    assert stack.scalar("SELECT count(*) FROM outbox_message WHERE state = 'failed'") == 0


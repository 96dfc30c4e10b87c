"""A hung slapd (SIGSTOP) costs a page or a lookup a few seconds, never the worker (issue 12, point 5).

The server accepts connections while it is stopped (the kernel completes them), so only timeouts on every
answer help. A watchdog resumes slapd after a generous deadline, so the test cannot hang: a request that
came back while slapd was still stopped was answered by the console's own timeouts.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from console.auth import tokens
from console.auth.models import Role
from console.directory import books
from console.directory.books import Book
from console.directory.connection import Directory, LdapConfig
from console.directory.models import DirectoryToken
from console.directory.slapd import Slapd
from console.directory.tree import Contact

# Seconds: generous beside the 2 s one answer may take here, short of what waiting and reconnecting would
# cost (before: six attempts of 2 s each, plus pauses — 31 s with the default 5 s, past gunicorn's timeout).
DEADLINE = 10


def _wait_until_stopped(pid: int, deadline: float = 5.0) -> None:
    """SIGSTOP is queued, not done: on a busy machine a slapd thread already running may still answer the next
    request. Wait until the kernel shows every thread of slapd stopped ('T')."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        states = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                states.append(f.read().rpartition(")")[2].split()[0])
        if all(state == "T" for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"slapd (pid {pid}) did not stop within {deadline} s")


@pytest.fixture
def hung(app, tmp_path, monkeypatch, pbx):
    """A slapd of its own holding the PBX's book, the console's client on it with short timeouts; stop()
    freezes it (SIGSTOP) with a watchdog that resumes it after DEADLINE."""
    server = Slapd(tmp_path / "slapd", durable=False)
    server.start()
    client = Directory(LdapConfig(url=server.url, bind_dn=server.root_dn, bind_password=server.root_pw,
                                  base_dn=server.suffix, connect_timeout=1, timeout=2))
    monkeypatch.setitem(app.extensions, "directory", client)
    books.save_entry(client, Book(pbx), Contact(surname="Hotline", phone="0800 3301000"))
    state = {"stopped": False, "rescued": threading.Event()}

    def resume():
        if state["stopped"]:
            os.kill(server.process.pid, signal.SIGCONT)
            state["stopped"] = False

    def stop():
        os.kill(server.process.pid, signal.SIGSTOP)
        state["stopped"] = True
        _wait_until_stopped(server.process.pid)
        watchdog = threading.Timer(DEADLINE, lambda: (state["rescued"].set(), resume()))
        watchdog.daemon = True
        watchdog.start()
        state["watchdog"] = watchdog

    state.update(stop=stop, resume=resume)
    yield state
    if "watchdog" in state:
        state["watchdog"].cancel()
    resume()
    client.close()
    server.destroy()


def test_the_phonebook_page_says_the_directory_is_not_reachable(pbx, hung, make_login, signed_in):
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer, language="en"))
    assert "Hotline" in admin.get(f"/pbx/{pbx.id}/directory/shared").get_data(as_text=True)
    hung["stop"]()
    for _ in range(2):  # the first request meets the open connection, the next one a new connection
        page = admin.get(f"/pbx/{pbx.id}/directory/shared")
        assert not hung["rescued"].is_set(), "the page waited until slapd was resumed"
        assert page.status_code == 503
        assert "not reachable" in page.get_data(as_text=True) and "try again" in page.get_data(as_text=True)
    hung["resume"]()
    assert "Hotline" in admin.get(f"/pbx/{pbx.id}/directory/shared").get_data(as_text=True)


def test_the_lookup_api_answers_without_a_name(app, pbx, hung):
    _, token = tokens.issue(DirectoryToken, "dir_", pbx=pbx, name="PBX")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/directory/lookup?number=08003301000", headers=auth).json["name"] == "Hotline"
    hung["stop"]()
    answer = client.get("/api/v1/directory/lookup?number=08003301000", headers=auth)
    assert not hung["rescued"].is_set(), "the lookup waited until slapd was resumed"
    assert answer.status_code == 503 and answer.json["name"] is None
    hung["resume"]()
    assert client.get("/api/v1/directory/lookup?number=08003301000", headers=auth).json["name"] == "Hotline"


def test_the_german_page_says_so_too(pbx, hung, make_login, signed_in):
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer, language="de"))
    hung["stop"]()
    page = admin.get(f"/pbx/{pbx.id}/directory/shared")
    assert not hung["rescued"].is_set()
    assert page.status_code == 503 and "nicht erreichbar" in page.get_data(as_text=True)

"""The lockout tells nobody who has an account, and a stranger cannot use it to shut the real user out."""
import re

import pytest
from argon2 import PasswordHasher

from console.auth import devices
from console.auth.models import Role
from tests.conftest import TEST_PASSWORD, Browser, utc

TARGET = "rita@stimme.example"


@pytest.fixture
def verifications(monkeypatch):
    """How many argon2 hashes were verified: the work that makes a sign-in slow, so the same count means the
    same time whatever the answer (an observable stand-in for a wall clock on a shared machine)."""
    calls = []
    real = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return real(self, hash, password)
    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def _lock(app, email=TARGET):
    stranger = Browser(app)
    for _ in range(5):
        assert stranger.login(email, "not the password").status_code == 401
    return stranger


def _without_token_and_address(html: str) -> str:
    html = re.sub(r'"[\w-]+\.[\w-]+\.[\w-]{20,}"', '"token"', html)  # CSRF tokens (signed, per session)
    return re.sub(r'value="[^"]*@[^"]*"', 'value="address"', html)


def test_a_locked_account_and_an_unknown_address_get_the_same_answer_after_the_same_work(
        app, make_login, freeze, verifications):
    freeze(utc(2026, 11, 30, 9))
    login = make_login(Role.STAFF_SUPPORT, email=TARGET)
    make_login(Role.STAFF_SUPPORT, email="sven@stimme.example")
    _lock(app)
    assert login.locked_until == utc(2026, 11, 30, 9, 15)
    answers = {}
    for case, (email, password) in {"locked, right password": (TARGET, TEST_PASSWORD),
                                    "locked, wrong password": (TARGET, "still not it"),
                                    "unknown address": ("nobody@stimme.example", TEST_PASSWORD),
                                    "wrong password": ("sven@stimme.example", "not the password")}.items():
        browser = Browser(app)
        token = browser._fetch_token()
        verifications.clear()
        response = browser.request("POST", "/login", data={"email": email, "password": password,
                                                           "csrf_token": token})
        answers[case] = (response.status_code, _without_token_and_address(response.get_data(as_text=True)),
                         len(verifications))
    assert {status for status, _, _ in answers.values()} == {401}
    assert len({body for _, body, _ in answers.values()}) == 1, "the answers differ"
    assert {case: n for case, (_, _, n) in answers.items()} == dict.fromkeys(answers, 1)
    body = answers["unknown address"][1]
    assert "E-Mail-Adresse oder Passwort ist falsch" in body and "gesperrt" in body


def test_a_device_that_signed_in_before_still_signs_in_while_the_account_is_locked(app, make_login, freeze):
    freeze(utc(2026, 11, 30, 9))
    make_login(Role.STAFF_SUPPORT, email=TARGET)
    own = Browser(app)
    assert own.login(TARGET).status_code == 303
    assert own.client.get_cookie(devices.COOKIE_NAME, path="/login") is not None
    own.post("/logout")
    stranger = _lock(app)
    assert stranger.login(TARGET).status_code == 401  # the right password, from a browser never signed in
    assert Browser(app).login(TARGET).status_code == 401
    assert own.login(TARGET).status_code == 303
    assert own.get("/customers/").status_code == 200
    own.post("/logout")
    assert stranger.login(TARGET).status_code == 401  # the known device's sign-in lifts the lock for nobody else


def test_a_device_cookie_counts_only_for_its_own_login_and_only_when_genuine(app, make_login, freeze):
    freeze(utc(2026, 11, 30, 9))
    make_login(Role.STAFF_SUPPORT, email=TARGET)
    make_login(Role.STAFF_SUPPORT, email="mallory@stimme.example")
    attacker = Browser(app)
    assert attacker.login("mallory@stimme.example").status_code == 303  # a device cookie for the attacker's login
    attacker.post("/logout")
    _lock(app)
    assert attacker.login(TARGET).status_code == 401
    forged = Browser(app)
    forged.client.set_cookie(devices.COOKIE_NAME, attacker.client.get_cookie(
        devices.COOKIE_NAME, path="/login").value[:-3] + "AAA", path="/login")
    assert forged.login(TARGET).status_code == 401


def test_a_known_device_that_keeps_failing_is_locked_itself_without_locking_the_account(app, make_login, freeze):
    freeze(utc(2026, 11, 30, 9))
    login = make_login(Role.STAFF_SUPPORT, email=TARGET)
    own = Browser(app)
    assert own.login(TARGET).status_code == 303
    own.post("/logout")
    for _ in range(5):
        assert own.login(TARGET, "typo typo typo").status_code == 401
    assert own.login(TARGET).status_code == 401  # this device has had its five tries
    assert login.locked_until is None and login.failed_logins == 0
    assert Browser(app).login(TARGET).status_code == 303  # the account is not locked for anybody else
    freeze(utc(2026, 11, 30, 9, 16))
    assert own.login(TARGET).status_code == 303


def test_the_address_throttle_applies_to_known_devices_too(app, make_login, freeze):
    freeze(utc(2026, 11, 30, 9))
    make_login(Role.STAFF_SUPPORT, email=TARGET)
    own = Browser(app)
    assert own.login(TARGET).status_code == 303
    own.post("/logout")
    for i in range(20):
        Browser(app).login(f"guess{i}@stimme.example", "password123")
    refused = own.login(TARGET)
    assert refused.status_code == 401 and "Zu viele fehlgeschlagene" in refused.get_data(as_text=True)

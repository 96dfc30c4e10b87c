"""Signing in and out, lockout, throttling, CSRF, the language switch, secure cookies."""
import re
from console.auth.models import Role
from tests.conftest import TEST_PASSWORD, Browser, utc


def test_sign_in_and_out(make_login, browser):
    login = make_login(Role.STAFF_ADMIN, email="anna@stimme.example")
    assert browser.get("/").status_code == 302
    response = browser.login("Anna@Stimme.example")  # addresses are case-insensitive
    assert response.status_code == 303
    assert "Welcome" in browser.get("/").get_data(as_text=True) or "Willkommen" in browser.get("/").get_data(as_text=True)
    assert browser.post("/logout").status_code == 303
    assert browser.get("/").status_code == 302
    assert login.last_login_at is not None


def test_wrong_password_says_nothing_about_which_part_was_wrong(make_login, browser):
    make_login(Role.STAFF_ADMIN, email="anna@stimme.example")
    wrong_password = browser.login("anna@stimme.example", "wrong password!")
    unknown_user = browser.login("nobody@stimme.example", "wrong password!")
    assert wrong_password.status_code == unknown_user.status_code == 401
    text_a, text_b = (r.get_data(as_text=True) for r in (wrong_password, unknown_user))
    assert "E-Mail-Adresse oder Passwort ist falsch" in text_a or "E-mail address or password is wrong" in text_a
    # CSRF tokens and the typed address differ; everything else must be the same
    strip = lambda t: re.sub(r'value="[^"]*"|[\w-]+\.[\w-]+\.[\w-]{20,}', "", t)  # noqa: E731
    assert strip(text_a) == strip(text_b)


def test_login_locks_after_five_failures_and_unlocks_after_fifteen_minutes(make_login, browser, freeze):
    freeze(utc(2026, 11, 30, 9))
    login = make_login(Role.STAFF_SUPPORT, email="rita@stimme.example")
    for _ in range(5):
        assert browser.login("rita@stimme.example", "not the password").status_code == 401
    locked = browser.login("rita@stimme.example")  # the right password, but locked
    assert locked.status_code == 401
    assert "gesperrt" in locked.get_data(as_text=True) or "locked" in locked.get_data(as_text=True)
    assert login.locked_until == utc(2026, 11, 30, 9, 15)
    freeze(utc(2026, 11, 30, 9, 16))
    assert browser.login("rita@stimme.example").status_code == 303


def test_success_resets_the_failure_count(make_login, browser):
    login = make_login(Role.STAFF_SUPPORT, email="sven@stimme.example")
    for _ in range(4):
        browser.login("sven@stimme.example", "nope nope nope")
    assert browser.login("sven@stimme.example").status_code == 303
    assert login.failed_logins == 0 and login.locked_until is None


def test_an_address_with_many_failures_is_throttled(make_login, app, freeze):
    freeze(utc(2026, 11, 30, 9))
    make_login(Role.STAFF_ADMIN, email="target@stimme.example")
    attacker = Browser(app)
    for i in range(20):  # spread over many addresses so no single login locks
        attacker.login(f"guess{i}@stimme.example", "password123")
    refused = attacker.login("target@stimme.example")
    assert refused.status_code == 401
    assert "Too many failed sign-ins" in refused.get_data(as_text=True) or \
        "Zu viele fehlgeschlagene" in refused.get_data(as_text=True)
    freeze(utc(2026, 11, 30, 9, 16))
    assert attacker.login("target@stimme.example").status_code == 303


def test_inactive_login_cannot_sign_in(make_login, browser):
    login = make_login(Role.STAFF_ADMIN, email="gone@stimme.example")
    login.active = False
    assert browser.login("gone@stimme.example").status_code == 401


def test_post_without_csrf_token_is_rejected_and_changes_nothing(make_customer, make_login, signed_in):
    customer = make_customer(name="Vorher GmbH")
    b = signed_in(make_login(Role.STAFF_ADMIN))
    response = b.post(f"/customers/{customer.id}/edit", {"name": "Nachher GmbH"}, csrf=False)
    assert response.status_code == 400
    assert customer.name == "Vorher GmbH"
    forged = b.post(f"/customers/{customer.id}/edit", {"name": "Nachher GmbH", "csrf_token": "forged"}, csrf=False)
    assert forged.status_code == 400
    # the same request with the page's token goes through
    assert b.post(f"/customers/{customer.id}/edit", {"name": "Nachher GmbH"}).status_code == 303
    assert customer.name == "Nachher GmbH"


def test_htmx_requests_carry_the_token_in_a_header(make_login, signed_in):
    b = signed_in(make_login(Role.STAFF_ADMIN))
    page = b.get("/").get_data(as_text=True)
    # The token is signed with a timestamp in seconds, so each render may differ: compare within one page.
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    forged = b.request("POST", "/language", data={"language": "en"},
                       headers={"X-CSRFToken": "forged", "HX-Request": "true"})
    assert forged.status_code == 400
    response = b.request("POST", "/language", data={"language": "en"},
                         headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_language_switch_is_remembered_per_login(make_login, signed_in, app):
    login = make_login(Role.STAFF_ADMIN, email="lang@stimme.example")
    b = signed_in(login)
    assert "Übersicht" in b.get("/").get_data(as_text=True)  # German by default
    b.post("/language", {"language": "en", "next": "/customers/"})
    assert login.language == "en"
    assert "Overview" in b.get("/").get_data(as_text=True)
    # a new session of the same login starts in English
    again = Browser(app)
    again.login("lang@stimme.example")
    html = again.get("/").get_data(as_text=True)
    assert 'lang="en"' in html and "Overview" in html


def test_anonymous_visitor_can_switch_language(browser):
    browser.post("/language", {"language": "en"})
    assert "Sign in" in browser.get("/login").get_data(as_text=True)


def test_changing_the_password_ends_other_sessions(make_login, signed_in, app):
    login = make_login(Role.STAFF_SUPPORT, email="carla@stimme.example")
    first, second = signed_in(login), signed_in(login)
    response = first.post("/account/password", {"current": TEST_PASSWORD, "password": "a brand new secret",
                                                 "confirm": "a brand new secret"})
    assert response.status_code == 303
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302  # signed out
    assert Browser(app).login("carla@stimme.example", "a brand new secret").status_code == 303


def test_open_redirect_after_sign_in_is_refused(make_login, browser):
    make_login(Role.STAFF_ADMIN, email="anna@stimme.example")
    token = browser._fetch_token()
    response = browser.request("POST", "/login?next=//evil.example/x", data={
        "email": "anna@stimme.example", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_passwords_are_stored_as_argon2_hashes(make_login):
    from console.auth.services import hash_password
    assert hash_password("geheim-geheim").startswith("$argon2id$")


def _behind_proxy(app, client_address: str) -> Browser:
    """A browser whose requests reach the console through a reverse proxy on loopback that appends its address."""
    browser = Browser(app)
    browser.client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)
    return browser


def test_behind_the_proxy_one_attackers_guesses_do_not_throttle_everybody(make_login, app, configure, freeze):
    """PROXY_HOPS=1: the throttle counts the client's address, not the proxy's; an address the client writes
    into X-Forwarded-For itself is not believed (the proxy appends the real one, only that counts)."""
    freeze(utc(2026, 11, 30, 9))
    configure(proxy_hops=1)
    make_login(Role.STAFF_ADMIN, email="target@stimme.example")
    attacker = _behind_proxy(app, "198.51.100.66, 203.0.113.7")   # the first it wrote itself, the proxy appended
    for i in range(20):
        attacker.login(f"guess{i}@stimme.example", "password123")
    assert attacker.login("target@stimme.example").status_code == 401           # the attacker is throttled …
    assert _behind_proxy(app, "198.51.100.66").login("target@stimme.example").status_code == 303   # … not others
    from console.auth.models import LoginAttempt
    from console.extensions import db
    from sqlalchemy import select
    assert set(db.session.scalars(select(LoginAttempt.remote_addr))) == {"203.0.113.7", "198.51.100.66"}


def test_without_declared_proxies_the_socket_address_counts(make_login, app, configure):
    configure(proxy_hops=0)
    make_login(Role.STAFF_ADMIN, email="target@stimme.example")
    _behind_proxy(app, "203.0.113.7").login("target@stimme.example", "wrong!")
    from console.auth.models import LoginAttempt
    from console.extensions import db
    from sqlalchemy import select
    assert list(db.session.scalars(select(LoginAttempt.remote_addr))) == ["127.0.0.1"]

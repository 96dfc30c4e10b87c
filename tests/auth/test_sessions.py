"""Signing out ends the session on the server: a copy of the cookie is worth nothing afterwards."""
from flask_login.utils import encode_cookie
from sqlalchemy import func, select

from console.auth.models import LoginSession, Role
from console.extensions import db
from tests.conftest import Browser, utc


def _session_cookie(browser: Browser) -> str:
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, cookie: str, name: str = "session") -> Browser:
    """A second client (same User-Agent, same address) that sends nothing but the copied cookie."""
    thief = Browser(app)
    thief.client.set_cookie(name, cookie)
    return thief


def _sessions_of(login) -> int:
    return db.session.scalar(select(func.count(LoginSession.id)).where(LoginSession.login_id == login.id))


def test_a_copied_session_cookie_is_refused_after_sign_out(app, make_login, make_customer, signed_in):
    make_customer(name="Geheim GmbH")
    login = make_login(Role.STAFF_ADMIN)
    browser = signed_in(login)
    copied = _session_cookie(browser)
    assert _replay(app, copied).get("/customers/").status_code == 200  # the copy works while signed in
    assert browser.post("/logout").status_code == 303
    replayed = _replay(app, copied).get("/customers/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert "Geheim GmbH" not in replayed.get_data(as_text=True)
    assert _sessions_of(login) == 0


def test_a_remember_cookie_for_the_ended_session_is_refused_too(app, make_login, signed_in):
    browser = signed_in(make_login(Role.STAFF_SUPPORT))
    key = app.session_interface.get_signing_serializer(app).loads(_session_cookie(browser))["_user_id"]
    with app.app_context():
        remember = encode_cookie(key)  # what Flask-Login's remember-me would have set for this session
    assert _replay(app, remember, "remember_token").get("/customers/").status_code == 200
    browser.post("/logout")
    assert _replay(app, remember, "remember_token").get("/customers/").status_code == 302


def test_signing_out_ends_only_this_browser(make_login, signed_in):
    login = make_login(Role.STAFF_SUPPORT)
    office, laptop = signed_in(login), signed_in(login)
    assert _sessions_of(login) == 2
    office.post("/logout")
    assert office.get("/customers/").status_code == 302
    assert laptop.get("/customers/").status_code == 200
    assert _sessions_of(login) == 1


def test_a_new_password_set_by_an_admin_or_a_deactivation_ends_every_session(app, make_login, signed_in):
    admin = signed_in(make_login(Role.STAFF_ADMIN))
    target = make_login(Role.STAFF_SUPPORT, email="sven@stimme.example")
    first = signed_in(target)
    form = {"email": target.email, "name": "Sven", "role": "staff_support", "language": "de", "active": "y",
            "reseller_id": "0", "customer_id": "0", "phone_user_id": "0"}
    assert admin.post(f"/logins/{target.id}/edit", {**form, "password": "ein ganz neues Passwort"}).status_code == 303
    assert first.get("/customers/").status_code == 302
    second = Browser(app)
    assert second.login(target.email, "ein ganz neues Passwort").status_code == 303
    copied = _session_cookie(second)
    assert admin.post(f"/logins/{target.id}/edit", {**form, "active": ""}).status_code == 303
    assert second.get("/customers/").status_code == 302
    target.active = True  # reactivated: the sessions from before stay ended
    assert _replay(app, copied).get("/customers/").status_code == 302


def test_a_session_not_signed_out_ends_after_thirty_days(app, make_login, signed_in, freeze):
    freeze(utc(2026, 11, 1, 9))
    login = make_login(Role.STAFF_SUPPORT)
    forgotten = signed_in(login)
    freeze(utc(2026, 11, 30, 9))
    assert forgotten.get("/customers/").status_code == 200
    freeze(utc(2026, 12, 1, 9, 1))
    assert forgotten.get("/customers/").status_code == 302
    signed_in(login)  # the next sign-in clears the ended row away
    assert _sessions_of(login) == 1

"""After signing in and after switching the language the console goes back only to a path on this site."""
from urllib.parse import quote

import pytest

from console.auth.models import Role
from tests.conftest import TEST_PASSWORD, Browser

# What browsers turn into another host (they drop tabs and newlines, read "\" as "/"), what breaks a header,
# and plain other sites and schemes.
HOSTILE = [
    "//evil.example", "///evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/x", "/\n/x", "/\x00/x",
    "/\x7f/evil.example", "\\\\evil.example", "/\\evil.example", "\\/evil.example", "/\\/evil.example",
    "https://evil.example/", "http:evil.example", "http:/evil.example", "javascript:alert(1)", "evil.example",
    " /evil", "/ /evil.example", "/\u3000/evil.example", "/\u2028/evil.example", "/\u202e/x", "\t//evil.example",
    "http://127.0.0.1/", "/" + "x" * 3000, "",
]
FINE = ["/customers/", "/customers/?page=2&q=m%C3%BCller", "/maintenance/calendar?month=2026-12"]


@pytest.mark.parametrize("target", HOSTILE, ids=lambda v: repr(v)[:24])
def test_sign_in_never_redirects_off_site(make_login, app, target):
    make_login(Role.STAFF_ADMIN, email="anna@stimme.example")
    browser = Browser(app)
    token = browser._fetch_token()
    response = browser.request("POST", f"/login?next={quote(target, safe='')}", data={
        "email": "anna@stimme.example", "password": TEST_PASSWORD, "csrf_token": token})
    _assert_stays_on_site(response, target)


@pytest.mark.parametrize("target", HOSTILE, ids=lambda v: repr(v)[:24])
def test_language_switch_never_redirects_off_site(make_login, signed_in, browser, target):
    for b in (browser, signed_in(make_login(Role.STAFF_SUPPORT))):  # anonymous and signed in
        response = b.post("/language", {"language": "en", "next": target})
        _assert_stays_on_site(response, target)


def _assert_stays_on_site(response, target: str) -> None:
    if "\x00" in target:  # refused before any view runs (console.web.guard): no redirect at all
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", FINE)
def test_paths_on_this_site_are_kept(make_login, app, browser, target):
    make_login(Role.STAFF_ADMIN, email="anna@stimme.example")
    signing_in = Browser(app)
    token = signing_in._fetch_token()
    response = signing_in.request("POST", f"/login?next={quote(target, safe='')}", data={
        "email": "anna@stimme.example", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == target
    assert browser.post("/language", {"language": "en", "next": target}).headers["Location"] == target

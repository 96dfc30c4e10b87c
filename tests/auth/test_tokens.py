"""One bearer-token module (console.auth.tokens) for reseller API tokens and PBX directory tokens alike
(issue 13, point 2): issued once and stored only as a hash, found by the API, last use written at most once a
minute (not on every request), revoked at once; tokens stored before the module keep working."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from console.auth import tokens
from console.auth.models import Role
from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.models import DirectoryToken
from console.directory.tree import Contact
from console.extensions import db
from console.incidents.models import ApiToken
from tests.conftest import utc
from tests.incidents.factories import make_incident


@pytest.fixture
def setup(make_customer, make_login, signed_in):
    customer = make_customer(name="Token GmbH")
    books.save_entry(get_directory(), Book(customer.pbx), Contact(surname="Hotline", phone="0800 3301000"))
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    customer.incident = make_incident(customer)
    return customer, staff


def _issue_both(customer, staff) -> dict[type, str]:
    """Issue one token of each kind as staff do, on the pages; returns the plain values shown once."""
    page = staff.post("/incidents/api-tokens", {"reseller_id": customer.reseller_id, "name": "Ticketsystem"})
    api = re.search(r"stk_[A-Za-z0-9_-]{43}", page.get_data(as_text=True)).group(0)
    page = staff.post(f"/pbx/{customer.pbx.id}/directory/tokens", {"name": "PBX Berlin"})
    lookup = re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True)).group(1)
    return {ApiToken: api, DirectoryToken: lookup}


def _use(browser, model, plain, customer=None):
    headers = {"Authorization": f"Bearer {plain}"}
    if model is ApiToken:
        number = customer.incident.number if customer else "2026-999999"   # 404 once authenticated
        return browser.get(f"/api/v1/incidents/{number}", headers=headers).status_code
    return browser.get("/api/v1/directory/lookup?number=08003301000", headers=headers).status_code


def _row(model, plain):
    return db.session.scalar(select(model).where(model.token_hash == hashlib.sha256(plain.encode()).hexdigest()))


def test_both_kinds_are_stored_only_as_hash_and_stop_working_when_revoked(setup, browser):
    customer, staff = setup
    issued = _issue_both(customer, staff)
    assert _use(browser, ApiToken, issued[ApiToken]) == 404
    assert _use(browser, DirectoryToken, issued[DirectoryToken]) == 200
    for model, plain in issued.items():
        row = _row(model, plain)
        stored = repr([getattr(row, c.key) for c in model.__table__.columns])
        assert plain not in stored and plain[4:] not in stored and len(row.token_hash) == 64
    assert staff.post(f"/incidents/api-tokens/{_row(ApiToken, issued[ApiToken]).id}/revoke").status_code == 303
    assert staff.post(f"/directory/tokens/{_row(DirectoryToken, issued[DirectoryToken]).id}/revoke").status_code == 303
    assert _use(browser, ApiToken, issued[ApiToken]) == 401
    assert _use(browser, DirectoryToken, issued[DirectoryToken]) == 401
    assert _use(browser, DirectoryToken, "dir_" + "x" * 43) == 401 and _use(browser, ApiToken, "") == 401


def test_last_use_is_written_at_most_once_a_minute(setup, browser, freeze):
    customer, staff = setup
    issued = _issue_both(customer, staff)
    start = freeze(utc(2026, 12, 2, 9, 0))
    writes = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE") and "token" in statement:
            writes.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for model, plain in issued.items():
            writes.clear()
            freeze(start)
            assert _use(browser, model, plain, customer) == 200
            assert _row(model, plain).last_used_at == start and len(writes) == 1
            for seconds in (1, 20, 59):   # busy: many requests, no write
                freeze(start + timedelta(seconds=seconds))
                assert _use(browser, model, plain, customer) == 200
            assert _row(model, plain).last_used_at == start and len(writes) == 1, model
            later = freeze(start + timedelta(seconds=61))
            _use(browser, model, plain, customer)
            assert _row(model, plain).last_used_at == later and len(writes) == 2, model
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_tokens_hashed_before_the_module_keep_working(setup, browser):
    """Both kinds were stored as the SHA-256 hex of the whole value already; rows from then still open."""
    customer, _staff = setup
    old_api, old_lookup = "stk_" + "a" * 43, "dir_" + "b" * 43
    db.session.add_all([
        ApiToken(reseller_id=customer.reseller_id, name="alt", prefix=old_api[:12],
                 token_hash=hashlib.sha256(old_api.encode()).hexdigest()),
        DirectoryToken(pbx_id=customer.pbx.id, name="alt", token_hash=hashlib.sha256(old_lookup.encode()).hexdigest()),
    ])
    db.session.flush()
    assert _use(browser, ApiToken, old_api) == 404 and _use(browser, DirectoryToken, old_lookup) == 200


def test_a_url_secret_is_derived_from_a_stored_selector(app):
    nonce = tokens.new_nonce()
    secret = tokens.url_secret("feed", nonce)
    assert len(nonce) == tokens.NONCE_LENGTH and len(secret) == tokens.URL_SECRET_LENGTH
    assert secret == tokens.url_secret("feed", nonce) and secret.startswith(nonce)
    assert tokens.url_secret("pbx-media", nonce) != secret   # bound to its purpose

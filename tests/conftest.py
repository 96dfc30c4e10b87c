"""Shared fixtures: one app per session, a rolled-back transaction per test, factories, a signed-in client.

The suite runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL names one (as .ci/run does).
"""
from __future__ import annotations

import dataclasses
import os
import re
from datetime import date, datetime, timezone
from itertools import count

import flask_migrate
import pytest
from flask import g
from sqlalchemy import text
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from console import clock, create_app
from console.accounts import services as accounts
from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
from console.auth.models import Login, Role
from console.auth.services import hash_password, save_login
from console.config import Settings
from console.extensions import db

TEST_PASSWORD = "correct horse battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The suite's own slapd on loopback (console.directory.slapd), holding the phonebooks."""
    from console.directory.slapd import Slapd
    server = Slapd(tmp_path_factory.mktemp("slapd"), durable=False)
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def app(database_url, slapd, tmp_path_factory):
    settings = Settings(database_url=database_url, secret_key="test-secret", demo=True, log_format="text",
                        login_max_failures=5, login_lockout_minutes=15, ldap_url=slapd.url,
                        media_dir=str(tmp_path_factory.mktemp("media")),
                        voicemail_dir=str(tmp_path_factory.mktemp("voicemail")),
                        ldap_bind_dn=slapd.root_dn, ldap_bind_password=slapd.root_pw, ldap_base_dn=slapd.suffix)
    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        _reset_schema()
        db.create_all()
        flask_migrate.stamp()  # the schema is the head revision's, as after `flask db upgrade` (/readyz checks it)
    yield app
    with app.app_context():
        db.session.remove()
        _reset_schema()


def _reset_schema() -> None:
    """Drop everything, including tables a migration test may have left."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Each test runs inside one outer transaction that is rolled back; commits become savepoints."""
    if "no_db" in request.keywords:
        yield
        return
    with app.app_context():
        g.locale = "en"  # messages raised outside a request read in English here; pages test both languages
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            clock.set_now(None)


@pytest.fixture
def configure(app, monkeypatch):
    """configure(**settings): change the app's settings for this test only."""
    def _configure(**changes):
        monkeypatch.setitem(app.extensions, "settings", dataclasses.replace(app.extensions["settings"], **changes))
    return _configure


@pytest.fixture
def smtp_sink(configure):
    """A real SMTP server on loopback (aiosmtpd) that the outbox delivers to."""
    from tests.mail.servers import ControllableSMTP
    server = ControllableSMTP()
    server.start()
    configure(smtp_url=server.url)
    yield server
    server.stop()


@pytest.fixture
def freeze():
    """freeze(datetime) sets the console's clock; thawed after the test."""
    def _freeze(instant: datetime):
        clock.set_now(instant)
        return instant
    yield _freeze
    clock.set_now(None)


# --- factories ---------------------------------------------------------------------------------------------

_seq = count(1)
_HASH = hash_password(TEST_PASSWORD)  # hashing is deliberately slow; do it once


@pytest.fixture
def staff_actor():
    return Login(role=Role.STAFF_ADMIN, email="factory@stimme.example", name="factory")


@pytest.fixture
def make_reseller():
    def _make(name: str | None = None, **kw):
        n = next(_seq)
        return accounts.save_reseller(None, name=name or f"Reseller {n}", notice_email=f"noc{n}@reseller.example", **kw)
    return _make


@pytest.fixture
def make_customer(make_reseller, staff_actor):
    """A customer with its PBX, main site and (unless trunk=False) a SIP trunk for block +4930<n>00-0…99."""
    def _make(reseller=None, *, licence=LicenceKind.BASE, licence_start: date | None = None, trunk: bool = True,
              name: str | None = None, **kw):
        n = next(_seq)
        customer = accounts.create_customer(
            staff_actor, reseller=reseller or make_reseller(), name=name or f"Kunde {n}",
            pbx_name=f"pbx{n}.stimme.test", licence=licence, licence_start=licence_start,
            gateway_serial="IP411-TEST" if licence is LicenceKind.EXTENDED else None,
            site_name="Zentrale", street="Hauptstraße 1", postcode="10115", city="Berlin", **kw)
        if trunk:
            accounts.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                                provider_name=None, base_number=f"030 {1000 + n}0", first_extension="0",
                                last_extension="99")
        return customer
    return _make


@pytest.fixture
def make_user():
    def _make(customer, extension: str | None = None, package: Package = Package.KLARE, site=None, **kw):
        pbx = customer.pbx
        return accounts.save_phone_user(
            None, pbx=pbx, site=site or pbx.sites[0], first_name=kw.pop("first_name", "Erika"),
            last_name=kw.pop("last_name", f"Muster{next(_seq)}"),
            extension=extension or str(10 + len(pbx.users)), package=package, **kw)
    return _make


@pytest.fixture
def make_login(staff_actor):
    def _make(role: Role, *, email: str | None = None, reseller=None, customer=None, phone_user=None,
              language: str = "de") -> Login:
        login = save_login(staff_actor, None, email=email or f"login{next(_seq)}@test.example",
                           name=f"{role.value} login", role=role, reseller=reseller, customer=customer,
                           phone_user=phone_user, language=language, password="placeholder-password")
        login.password_hash = _HASH
        db.session.flush()
        return login
    return _make


# --- the browser ---------------------------------------------------------------------------------------------

class Browser:
    """The Flask test client plus what a browser does: sign in, and send the CSRF token with forms.

    Each request runs in its own app context, so it has its own `g` and its own database session, as in
    production; the test's session is flushed before and expired after, so the test sees what was committed.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.csrf: str | None = None

    def _fetch_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, "page has no CSRF token"
        return match.group(1)

    def request(self, method: str, path: str, **kw):
        db.session.flush()
        with self.app.app_context():
            response = self.client.open(path, method=method, **kw)
        db.session.expire_all()
        return response

    def login(self, email: str, password: str = TEST_PASSWORD):
        token = self._fetch_token()
        response = self.request("POST", "/login", data={"email": email, "password": password, "csrf_token": token})
        self.csrf = self._fetch_token("/") if response.status_code in (302, 303) else token
        return response

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf or self._fetch_token())
        return self.request("POST", path, data=data, **kw)


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def signed_in(app, make_login):
    """signed_in(login) → a Browser signed in as that login."""
    def _sign_in(login: Login) -> Browser:
        b = Browser(app)
        response = b.login(login.email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return b
    return _sign_in


def berlin(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=clock.BERLIN)


def utc(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)

"""The secrets in URLs (a reseller's maintenance feed, a PBX's hold-music addresses) are neither stored nor
logged (issue 11, point 9): fetched through the app and through gunicorn exactly as `make run` starts it, the
secret appears in no log record, no log line and no database row; the pages keep showing the working URLs."""
from __future__ import annotations

import io
import logging
import re
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from console import create_app, devrun, logs
from console.auth import tokens
from console.auth.models import Role
from console.config import Settings
from console.extensions import db
from console.maintenance.models import FeedToken
from console.media import jobs, services
from console.ports import free_port
from tests.mail.servers import own_database, wait_for
from tests.media import audiogen as ag
from tests.media.conftest import decode_raw, upload_new

PROJECT = Path(__file__).resolve().parents[2]


def _urls(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html.replace("&amp;", "&"))


def _secret_of(url: str, prefix: str) -> str:
    return url.split(prefix, 1)[1].split("/", 1)[0].split(".", 1)[0]


def _database_text() -> str:
    """Every row of every table, as text."""
    rows = []
    for table in db.metadata.sorted_tables:
        rows.extend(repr(tuple(row)) for row in db.session.execute(select(table)))
    return "\n".join(rows)


@pytest.fixture
def console_log():
    """What the console's own log handler (console.logs.configure) writes while the test runs."""
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, logs.RedactSecrets) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_feed_and_hold_music_secrets_are_in_no_log_and_no_row(tenant, make_login, signed_in, browser, caplog,
                                                              console_log):
    caplog.set_level(logging.DEBUG)
    t = tenant("S")
    reseller = signed_in(make_login(Role.RESELLER, reseller=t.customer.reseller))
    assert reseller.post("/maintenance/notices", {"action": "new_feed_token"}).status_code == 303
    feeds = _urls(reseller.get("/maintenance/notices").get_data(as_text=True),
                  r"<code>(http[^<]+/maintenance/feed/[^<]+)</code>")
    assert len(feeds) == 2
    assert upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(700, 2.0, 16000), 16000),
                      "ton.wav").status_code == 303
    jobs.convert_pending()
    hold = _urls(t.browser.get(f"/customers/{t.customer.id}/media").get_data(as_text=True),
                 r'<code class="pbx-url">([^<]+/moh\.\$coder[^<]*)</code>')[0]

    for url in feeds + [hold.replace("$coder", "g711a"), hold.replace("$coder", "g711u")]:
        assert browser.get(url).status_code == 200, url
    secrets = {_secret_of(feeds[0], "/maintenance/feed/"), _secret_of(hold, "/pbx-media/")}
    assert len(secrets) == 2 and all(len(s) == tokens.URL_SECRET_LENGTH for s in secrets)
    # What would find the secret without the key: the HMAC part (the selector alone opens nothing).
    macs = {s[tokens.NONCE_LENGTH:] for s in secrets}

    records = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    written = console_log.getvalue()
    assert "GET /maintenance/feed/….ics 200" in written and "GET /pbx-media/…/moh.g711a 200" in written
    stored = _database_text()
    for secret in secrets | macs:
        assert secret not in records and secret not in written and secret not in stored


def test_the_selector_alone_or_another_key_opens_nothing(app, tenant, browser):
    t = tenant("K")
    token = services.media_token(t.pbx)
    secret = token.url_secret
    assert secret.startswith(token.nonce) and len(secret) == tokens.URL_SECRET_LENGTH
    assert browser.get(f"/pbx-media/{token.nonce}/moh.g711a").status_code == 404
    assert browser.get(f"/pbx-media/{token.nonce}{'A' * tokens.MAC_LENGTH}/moh.g711a").status_code == 404
    # The same selector under another SECRET_KEY derives another secret.
    key = app.config["SECRET_KEY"]
    try:
        app.config["SECRET_KEY"] = "another-key"
        assert tokens.url_secret(token.SECRET_PURPOSE, token.nonce) != secret
    finally:
        app.config["SECRET_KEY"] = key
    assert tokens.url_secret(token.SECRET_PURPOSE, token.nonce) == secret


def test_every_secret_route_is_redacted(app):
    """Each route with a secret in its path has its URLs redacted; the next such route must be added to
    console.logs.SECRET_SEGMENT, or this fails."""
    secret = "Zq_-" * (tokens.URL_SECRET_LENGTH // 4)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments or rule.rule.startswith("/static"):
            continue
        path = re.sub(r"<(?:[^>:]+:)?(\w+)>|<any\([^)]*\):(\w+)>",
                      lambda m: secret if (m.group(1) or m.group(2)) == "token" else "x", rule.rule)
        assert secret not in logs.redact(f'GET {path} HTTP/1.1" 200 "https://h.example{path}?a=1"'), rule.rule
        checked += 1
    assert checked >= 3   # two feeds, the PBX's media


@pytest.mark.no_db
def test_gunicorn_as_make_run_starts_it_logs_no_secret(database_url, tmp_path):
    """The web process of `make run` (console/devrun.py), its access and error log, and its database."""
    key = "gunicorn-test-key"
    with own_database(database_url, tmp_path, "media_gunicorn") as url:
        settings = Settings(database_url=url, secret_key=key, log_format="text", media_dir=str(tmp_path / "media"))
        setup = create_app(settings)
        with setup.app_context():
            db.create_all()
            from console.accounts import services as accounts
            from console.accounts.models import LicenceKind
            from console.auth.models import Login
            from console.media.standard import ensure_standard_hold_music
            customer = accounts.create_customer(
                Login(role=Role.STAFF_ADMIN, email="setup@stimme.example", name="setup"),
                reseller=accounts.save_reseller(None, name="Gunicorn GmbH", notice_email="noc@g.example"),
                name="Kunde G", pbx_name="pbx-g.stimme.test", licence=LicenceKind.BASE, site_name="Zentrale",
                street="Hauptstraße 1", postcode="10115", city="Berlin")
            db.session.add(FeedToken(reseller_id=customer.reseller_id))
            ensure_standard_hold_music()
            db.session.commit()
            feed = db.session.scalar(select(FeedToken)).url_secret
            media = services.media_token(customer.pbx).url_secret
        port = free_port()
        command = list(devrun.PROCESSES["web"])
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
        env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "SECRET_KEY": key, "MEDIA_DIR": settings.media_dir,
               "LOG_FORMAT": "text", "CONSOLE_INSTANCE_DIR": str(tmp_path / "instance")}
        out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=stdout, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            def fetch(path: str) -> int:
                try:
                    with urllib.request.urlopen(base + path, timeout=10) as response:
                        return response.status
                except urllib.error.HTTPError as exc:
                    return exc.code

            def up():
                try:
                    return fetch(f"/maintenance/feed/{feed}.ics")
                except OSError:
                    assert server.poll() is None, err.read_text()
                    return None
            assert wait_for(up, 60) == 200
            assert fetch(f"/maintenance/feed/{feed}.atom") == 200
            assert fetch(f"/pbx-media/{media}/moh.g711a") == 200
            assert fetch(f"/pbx-media/{media}/moh.g711u") == 200
            near_miss = media[:-1] + ("x" if media[-1] != "x" else "y")   # a near miss is a secret too
            assert fetch(f"/pbx-media/{near_miss}/moh.g711a") == 404
            wait_for(lambda: out.read_text().count("/pbx-media/") >= 3, 10)
        finally:
            server.send_signal(signal.SIGINT)   # gunicorn's quick shutdown
            server.wait(30)
        access, errors = out.read_text(), err.read_text()
        assert '"GET /maintenance/feed/….ics HTTP/1.1" 200' in access
        assert '"GET /pbx-media/…/moh.g711a HTTP/1.1" 200' in access
        with setup.app_context():
            stored = _database_text()
            db.session.remove()
            db.engine.dispose()
        for secret in (feed, media, near_miss, feed[tokens.NONCE_LENGTH:], media[tokens.NONCE_LENGTH:]):
            assert secret not in access and secret not in errors
        for secret in (feed[tokens.NONCE_LENGTH:], media[tokens.NONCE_LENGTH:]):
            assert secret not in stored
    logs.configure("text")


def test_the_feed_address_on_the_page_is_the_one_that_works(make_customer, make_login, signed_in, browser):
    reseller = signed_in(make_login(Role.RESELLER, reseller=make_customer().reseller))
    reseller.post("/maintenance/notices", {"action": "new_feed_token"})
    shown = [_urls(reseller.get("/maintenance/notices").get_data(as_text=True),
                   r"<code>(http[^<]+/maintenance/feed/[^<]+)</code>") for _ in range(2)]
    assert shown[0] == shown[1]   # the same address on every view
    ics, atom = shown[0]
    assert browser.get(ics).status_code == 200 and browser.get(atom).status_code == 200
    reseller.post("/maintenance/notices", {"action": "new_feed_token"})   # a new address locks the old one out
    assert browser.get(ics).status_code == 404
    new_ics = _urls(reseller.get("/maintenance/notices").get_data(as_text=True),
                    r"<code>(http[^<]+/maintenance/feed/[^<]+\.ics)</code>")[0]
    assert new_ics != ics and browser.get(new_ics).status_code == 200

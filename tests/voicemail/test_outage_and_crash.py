"""Nothing lost, nothing twice: SMTP down while 50 voicemails arrive; a console process killed (SIGKILL) between
the PUT and the mail; a job run that died holding a message."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from webdav4.client import Client

from console.extensions import db
from console.mail.jobs import deliver_due
from console.ports import free_port
from console.voicemail import jobs, processing
from console.voicemail.models import Voicemail, VoicemailState
from tests.conftest import utc
from tests.mail.servers import ControllableSMTP, own_database, wait_for
from tests.voicemail.conftest import g711a, tone

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def test_smtp_down_while_fifty_arrive_then_all_mailed_once(make_customer, mailbox_user, pbx_side, smtp_sink,
                                                          freeze):
    start = freeze(utc(2026, 12, 2, 9))
    customer = make_customer()
    mailbox_user(customer, extension="51")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("51")
    smtp_sink.stop()
    data = g711a(tone(500, 0.5))
    for n in range(50):
        assert pbx.put(f"51/msg-{n:02d}-cgpn=0301234{n:03d}.g711a", data).status_code == 201
    assert jobs.process_stored() == 50
    report = deliver_due()
    assert (report.sent, report.deferred) == (0, 50)

    smtp_sink.start()
    freeze(start + timedelta(minutes=5))
    assert jobs.process_stored() == 0          # nothing is queued twice
    assert deliver_due().sent == 50
    freeze(start + timedelta(days=1))
    assert jobs.process_stored() == 0 and deliver_due().sent == 0
    ids = smtp_sink.message_ids()
    assert len(ids) == 50 and len(set(ids)) == 50
    assert db.session.scalar(select(func.count()).select_from(Voicemail).where(
        Voicemail.state == VoicemailState.MAILED)) == 50


def test_a_job_run_that_died_holding_a_message_is_taken_again_after_its_lease(
        make_customer, mailbox_user, pbx_side, smtp_sink, freeze):
    start = freeze(utc(2026, 12, 2, 9))
    customer = make_customer()
    mailbox_user(customer, extension="52")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("52")
    assert pbx.put("52/msg-a.g711a", g711a(tone(500, 1.0))).status_code == 201
    row = db.session.scalar(select(Voicemail))
    assert processing.start(row.id) is not None    # claimed, then the process "died" before recording
    db.session.commit()
    assert jobs.process_stored() == 0              # its lease holds: nobody else takes it
    freeze(start + processing.LEASE + timedelta(seconds=1))
    assert jobs.process_stored() == 1
    assert deliver_due().sent == 1 and jobs.process_stored() == 0
    assert len(smtp_sink.received) == 1


# --- a real console process, killed -----------------------------------------------------------------------

def _seed(url: str, voicemail_dir: str) -> dict:
    from console import create_app
    from console.accounts import services as accounts
    from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
    from console.auth.models import Login, Role
    from console.config import Settings
    from console.voicemail import inbox
    app = create_app(Settings(database_url=url, secret_key="kill-test", log_format="text",
                              voicemail_dir=voicemail_dir))
    with app.app_context():
        db.create_all()
        staff = Login(role=Role.STAFF_ADMIN, email="seed@kill.example", name="seed")
        reseller = accounts.save_reseller(None, name="Händler K", notice_email="noc@kill.example")
        customer = accounts.create_customer(staff, reseller=reseller, name="Kunde K", pbx_name="pbx.kill.test",
                                            licence=LicenceKind.BASE, site_name="Zentrale", street="Weg 1",
                                            postcode="10115", city="Berlin")
        accounts.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                            provider_name=None, base_number="030 55500", first_extension="0", last_extension="99")
        accounts.save_phone_user(None, pbx=customer.pbx, site=customer.pbx.sites[0], first_name="Kim",
                                 last_name="Kill", extension="61", package=Package.VOLLE, email="kim@kill.example")
        _row, token = inbox.issue_token(customer.pbx, "kill test")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"pbx": "pbx.kill.test", "token": token}


@pytest.mark.no_db
def test_killed_between_put_and_mail_the_message_is_mailed_once_after_restart(database_url, slapd, tmp_path):
    sink = ControllableSMTP()
    sink.start()
    with own_database(database_url, tmp_path, "vm_kill") as url:
        seed = _seed(url, str(tmp_path / "voicemail"))
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "kill-test", "LOG_FORMAT": "text",
               "VOICEMAIL_DIR": str(tmp_path / "voicemail"), "SMTP_URL": sink.url, "LDAP_URL": slapd.url,
               "LDAP_BIND_DN": slapd.root_dn, "LDAP_BIND_PASSWORD": slapd.root_pw, "LDAP_BASE_DN": slapd.suffix,
               "CONSOLE_INSTANCE_DIR": str(tmp_path / "instance")}
        web = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                "app:app"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=open(tmp_path / "web.log", "wb"))
        engine = create_engine(url)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: _answers(base), seconds=60)
            dav = Client(f"{base}/dav/{seed['pbx']}/", auth=(seed["pbx"], seed["token"]), retry=False)
            dav.mkdir("61")
            put = dav.http.put(dav.join_url("61/msg-cgpn=0301234567.g711a"), content=g711a(tone(440, 2.0)))
            assert put.status_code == 201
            os.killpg(web.pid, signal.SIGKILL)     # the PUT was answered; nothing after it ran
            web.wait(timeout=30)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT state FROM voicemail")).scalar() == "stored"
            scheduler = subprocess.Popen(   # the restart: the scheduler comes up and finds the stored message
                [str(VENV_BIN / "flask"), "--app", "app", "scheduler", "--jobs", "tests.voicemail.fast_jobs:FAST_JOBS",
                 "--poll", "0.2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                assert wait_for(lambda: _sent(engine), seconds=60)
            finally:
                scheduler.terminate()
                scheduler.wait(timeout=30)
            assert len(sink.received) == 1
            assert sink.received[0].rcpt_tos == ["kim@kill.example"]
            with engine.connect() as conn:
                assert conn.execute(text("SELECT state FROM voicemail")).scalar() == "mailed"
                assert conn.execute(text("SELECT count(*) FROM outbox_message")).scalar() == 1
        finally:
            if web.poll() is None:
                os.killpg(web.pid, signal.SIGKILL)
                web.wait(timeout=30)
            engine.dispose()
            sink.stop()


def _sent(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox_message WHERE state = 'sent'")).scalar() == 1


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_after_the_last_retry_the_message_is_failed_staff_are_told_and_can_retry(
        make_customer, mailbox_user, pbx_side, smtp_sink, freeze, make_login, signed_in):
    from console.auth.models import Role
    start = freeze(utc(2026, 12, 2, 9))
    customer = make_customer()
    user = mailbox_user(customer, extension="53", email=None)   # nowhere to send it: each try fails
    pbx = pbx_side(customer)
    pbx.dav.mkdir("53")
    assert pbx.put("53/msg-a.g711a", g711a(tone(500, 1.0))).status_code == 201
    row = db.session.scalar(select(Voicemail))
    for n in range(processing.MAX_ATTEMPTS):
        freeze(start + timedelta(hours=n + 1))
        assert jobs.process_stored() == 1
    db.session.expire_all()
    assert row.state is VoicemailState.FAILED and "no mail address" in row.detail
    deliver_due()
    [told] = smtp_sink.received
    assert told.rcpt_tos == ["betrieb@stimme.local"] and "53" in told.parsed["Subject"]
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    assert "no mail address" in staff.get(f"/voicemail/pbx/{customer.pbx.id}/store").get_data(as_text=True)
    user.email = "spaet@kunde.example"
    assert staff.post(f"/voicemail/messages/{row.id}/retry").status_code == 303
    assert jobs.process_stored() == 1 and deliver_due().sent == 1
    assert smtp_sink.received[-1].rcpt_tos == ["spaet@kunde.example"]

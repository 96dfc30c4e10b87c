"""The web inbox and the PBX agree: what is new, heard and deleted; settings, greetings, retention, staff page."""
from __future__ import annotations

import io
from datetime import timedelta

import soundfile as sf
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.mail.jobs import deliver_due
from console.voicemail import jobs, store
from console.voicemail.models import Voicemail, VoicemailState
from tests.conftest import utc
from tests.voicemail.conftest import correlation, g711a, speech, tone


def _arrived(pbx, folder="21", name="msg-cgpn=0301234567.g711a", seconds=2.0):
    if not pbx.dav.exists(folder):
        pbx.dav.mkdir(folder)
    sent = tone(440, seconds)
    assert pbx.put(f"{folder}/{name}", g711a(sent)).status_code == 201
    jobs.process_stored()
    db.session.expire_all()
    return db.session.scalar(select(Voicemail).order_by(Voicemail.id.desc())), sent


def test_inbox_lists_plays_and_downloads_and_heard_is_the_pbx_heard_folder(
        make_customer, mailbox_user, pbx_side, make_login, signed_in):
    customer = make_customer()
    user = mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    row, sent = _arrived(pbx)
    browser = signed_in(make_login(Role.END_USER, phone_user=user))
    page = browser.get("/voicemail/").get_data(as_text=True)
    assert "030 1234567" in page and "neu" in page, page[page.find("<main"):][:3000]
    played = browser.get(f"/voicemail/{row.id}/audio.wav")
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    samples, rate = sf.read(io.BytesIO(played.data), dtype="int16")
    assert rate == 8000 and correlation(samples, sent) > 0.99
    assert "attachment" in browser.get(f"/voicemail/{row.id}/audio.wav?download=1").headers["Content-Disposition"]
    assert "<audio" in browser.get(f"/voicemail/{row.id}").get_data(as_text=True)

    assert browser.post(f"/voicemail/{row.id}/heard").status_code == 303
    db.session.expire_all()
    assert row.heard_at is not None
    assert [e.rsplit("/", 1)[-1] for e in pbx.dav.ls("21/heard", detail=False)] == ["msg-cgpn=0301234567.g711a"]
    assert pbx.dav.ls("21", detail=False) == ["21/heard"]      # no longer new on the phone

    assert browser.post(f"/voicemail/{row.id}/delete").status_code == 303
    db.session.expire_all()
    assert row.deleted_at is not None and pbx.dav.ls("21/heard", detail=False) == []
    assert "030 1234567" not in browser.get("/voicemail/").get_data(as_text=True)


def test_what_the_pbx_moves_to_heard_or_deletes_the_inbox_shows_so(
        make_customer, mailbox_user, pbx_side, make_login, signed_in):
    customer = make_customer()
    mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    first, _ = _arrived(pbx, name="msg-1.g711a")
    second, _ = _arrived(pbx, name="msg-2.g711a")
    pbx.dav.mkdir("21/heard")
    pbx.dav.move("21/msg-1.g711a", "21/heard/msg-1.g711a")
    pbx.dav.remove("21/msg-2.g711a")
    db.session.expire_all()
    assert first.heard_at is not None and first.path == "21/heard/msg-1.g711a"
    assert second.deleted_at is not None
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    page = admin.get("/voicemail/").get_data(as_text=True)
    assert f"/voicemail/{first.id}" in page and f"/voicemail/{second.id}" not in page
    assert admin.get(f"/voicemail/{second.id}").status_code == 404
    other = signed_in(make_login(Role.END_USER, phone_user=mailbox_user(customer, extension="22")))
    assert other.get(f"/voicemail/{first.id}").status_code == 404   # a colleague's message is not theirs
    pbx.dav.remove("21")                                       # the whole mailbox folder
    db.session.expire_all()
    assert first.deleted_at is not None


def test_settings_notify_only_to_another_address_in_english_and_delete_after_mail(
        make_customer, mailbox_user, pbx_side, make_login, signed_in, smtp_sink):
    customer = make_customer()
    user = mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    browser = signed_in(make_login(Role.END_USER, phone_user=user))
    response = browser.post(f"/voicemail/users/{user.id}/settings", {
        "email": "team@kunde.example", "language": "en", "delete_after_mail": "y"})
    assert response.status_code == 303
    row, _ = _arrived(pbx)
    assert deliver_due().sent == 1
    message = smtp_sink.received[0].parsed
    assert message["To"] == "team@kunde.example" and message["Subject"] == "Voicemail from 030 1234567"
    assert not list(message.iter_attachments())
    assert f"/voicemail/{row.id}" in message.get_body(("plain",)).get_content()
    assert pbx.dav.ls("21", detail=False) == []                              # gone from the phone
    assert browser.get(f"/voicemail/{row.id}/audio.wav").status_code == 200   # still in the inbox
    bad = browser.post(f"/voicemail/users/{user.id}/settings", {"email": "kein at", "language": "xx"})
    assert bad.status_code == 200 and "team@kunde.example" in browser.get(
        f"/voicemail/users/{user.id}/settings").get_data(as_text=True)


def test_a_greeting_uploaded_is_in_the_store_where_the_pbx_plays_it(
        make_customer, mailbox_user, pbx_side, make_login, signed_in):
    customer = make_customer()
    user = mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    said = speech("Hallo, hier ist die Mailbox von Erika. Bitte sprechen Sie nach dem Ton.")
    buf = io.BytesIO()
    sf.write(buf, said, 8000, format="WAV", subtype="PCM_16")
    browser = signed_in(make_login(Role.END_USER, phone_user=user))
    response = browser.post(f"/voicemail/users/{user.id}/greeting",
                            {"file": (io.BytesIO(buf.getvalue()), "ansage.wav")}, content_type="multipart/form-data")
    assert response.status_code == 303
    fetched = pbx.dav.http.get(pbx.dav.join_url("21/greeting.g711a"))
    assert fetched.status_code == 200
    played, _ = sf.read(io.BytesIO(fetched.content), format="RAW", subtype="ALAW", samplerate=8000, channels=1,
                        dtype="int16")
    assert abs(len(played) - len(said)) < 80 and correlation(played, said) > 0.9
    assert pbx.dav.http.get(pbx.dav.join_url("21/greeting.g711u")).status_code == 200
    assert browser.get(f"/voicemail/users/{user.id}/greeting.wav").status_code == 200
    silent = browser.post(f"/voicemail/users/{user.id}/greeting", {"file": (io.BytesIO(b"kein audio"), "x.wav")},
                          content_type="multipart/form-data")
    assert silent.status_code == 400
    assert browser.post(f"/voicemail/users/{user.id}/greeting/delete").status_code == 303
    assert pbx.dav.http.get(pbx.dav.join_url("21/greeting.g711a")).status_code == 404


def test_retention_deletes_old_messages_from_inbox_and_store(
        make_customer, mailbox_user, pbx_side, make_login, signed_in, freeze):
    start = freeze(utc(2026, 12, 2, 9))
    customer = make_customer()
    mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    old, _ = _arrived(pbx, name="msg-alt.g711a")
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    assert admin.post(f"/voicemail/customers/{customer.id}/retention", {"days": "7"}).status_code == 303
    freeze(start + timedelta(days=6))
    young, _ = _arrived(pbx, name="msg-neu.g711a")
    assert jobs.clean_up_expired() == 0
    freeze(start + timedelta(days=7, minutes=1))
    assert jobs.clean_up_expired() == 1
    db.session.expire_all()
    assert old.deleted_at is not None and young.deleted_at is None
    assert [e.rsplit("/", 1)[-1] for e in pbx.dav.ls("21", detail=False)] == ["msg-neu.g711a"]


def test_staff_page_shows_the_store_address_waiting_and_refused_messages(
        make_customer, mailbox_user, pbx_side, make_login, signed_in):
    customer = make_customer()
    mailbox_user(customer, extension="21")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("21")
    pbx.dav.mkdir("29")
    assert pbx.put("21/msg-warten.g711a", g711a(tone(440, 1.0))).status_code == 201
    assert pbx.put("29/msg-niemand.g711a", g711a(tone(440, 1.0))).status_code == 409
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    page = staff.get(f"/voicemail/pbx/{customer.pbx.id}/store").get_data(as_text=True)
    assert f"/dav/{customer.pbx.name}/" in page and "Warten auf Verarbeitung (1)" in page
    assert "keinen Nutzer mit diesem Postfach" in page
    issued = staff.post(f"/voicemail/pbx/{customer.pbx.id}/store/tokens", {"name": "PBX"}).get_data(as_text=True)
    assert 'id="new-token">vm_' in issued
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    assert admin.get(f"/voicemail/pbx/{customer.pbx.id}/store").status_code == 403
    assert db.session.scalar(select(Voicemail).where(Voicemail.mailbox == "29")).state is VoicemailState.REFUSED
    assert store.kept_dir(customer.pbx.id).is_dir()

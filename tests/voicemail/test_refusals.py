"""Bad input gets its own answer and is kept for staff: unknown mailbox, no package, undecodable audio, a
duration that lies, too large — through the WebDAV store and through POST /api/v1/voicemail."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from console.accounts.models import Package
from console.extensions import db
from console.mail.models import OutboxMessage
from console.voicemail import intake, jobs, store
from console.voicemail.models import Voicemail, VoicemailState
from tests.conftest import Browser
from tests.voicemail.conftest import g711a, tone

BROKEN_WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x55\x00\x01\x00" + b"\x00" * 40


@pytest.fixture
def setup(make_customer, mailbox_user, pbx_side):
    customer = make_customer()
    mailbox_user(customer, extension="41")
    mailbox_user(customer, extension="42", package=Package.KLARE)
    pbx = pbx_side(customer)
    for folder in ("41", "42", "43"):
        pbx.dav.mkdir(folder)
    return pbx


def _only_row() -> Voicemail:
    return db.session.scalar(select(Voicemail).order_by(Voicemail.id.desc()))


def _kept(row):
    assert row.path is None
    return intake.kept_path(row).read_bytes()


@pytest.mark.parametrize("folder, reason, status", [("42", "no_package", 403), ("43", "unknown_mailbox", 409)])
def test_dav_refusals_answer_at_once_and_are_kept(setup, folder, reason, status):
    data = g711a(tone(440, 1.0))
    response = setup.put(f"{folder}/msg-x.g711a", data)
    assert response.status_code == status
    row = _only_row()
    assert (row.state, row.reason) == (VoicemailState.REFUSED, reason)
    assert _kept(row) == data
    assert not setup.dav.exists(f"{folder}/msg-x.g711a")     # out of the PBX's sight
    text = response.text
    assert ("Klingende" in text) if reason == "no_package" else ("Postfach" in text)   # German, as the PBX is


def test_dav_oversize_is_413_and_recorded(setup, configure):
    configure(voicemail_max_bytes=4000)
    response = setup.put("41/msg-big.g711a", g711a(tone(440, 1.0)))
    assert response.status_code == 413
    row = _only_row()
    assert (row.state, row.reason, row.size) == (VoicemailState.REFUSED, "too_large", 8000)
    assert not setup.dav.exists("41/msg-big.g711a")


@pytest.mark.parametrize("name, data, reason", [
    ("41/msg-broken.wav", BROKEN_WAV, "undecodable"),
    ("41/msg-empty.g711a", b"", "undecodable"),
    ("41/msg-dur=60.g711a", g711a(tone(440, 3.0)), "duration_mismatch"),
])
def test_dav_bad_audio_is_refused_by_the_job_and_never_mailed(setup, name, data, reason):
    assert setup.put(name, data).status_code == 201
    jobs.process_stored()
    db.session.expire_all()
    row = _only_row()
    assert (row.state, row.reason) == (VoicemailState.REFUSED, reason), row.detail
    assert _kept(row) == data
    assert db.session.scalar(select(OutboxMessage)) is None


# --- the API ----------------------------------------------------------------------------------------------

def _post(app, token, *, mailbox="41", data=None, codec="g711a", **fields):
    data = g711a(tone(440, 2.0)) if data is None else data
    form = {"mailbox": mailbox, "codec": codec, **fields,
            "recording": (io.BytesIO(data), f"aufnahme.{codec}")}
    return Browser(app).request("POST", "/api/v1/voicemail", data=form, content_type="multipart/form-data",
                                headers={"Authorization": f"Bearer {token}"})


def test_api_stores_a_message_and_the_job_mails_it(app, setup, smtp_sink):
    response = _post(app, setup.token, caller_number="030 1234567", caller_name="Frau Weber", duration="2",
                     received_at="2026-12-02T14:05:00+01:00")
    assert response.status_code == 201, response.get_json()
    row = db.session.get(Voicemail, response.get_json()["id"])
    assert row.source == "api" and row.caller_number == "+49301234567"
    assert store.resolve(row.pbx_id, row.path).exists()     # in the PBX's mailbox, as if it had recorded it
    jobs.process_stored()
    from console.mail.jobs import deliver_due
    assert deliver_due().sent == 1
    message = smtp_sink.received[0].parsed
    assert message["Subject"] == "Sprachnachricht von Frau Weber"
    assert "Mittwoch, 2. Dezember 2026, 14:05 Uhr MEZ" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("kw, status, code", [
    ({"mailbox": "42"}, 403, "no_package"),
    ({"mailbox": "43"}, 409, "unknown_mailbox"),
    ({"data": BROKEN_WAV, "codec": "wav"}, 422, "undecodable"),
    ({"duration": "30"}, 422, "duration_mismatch"),
])
def test_api_refusals_have_their_own_answers_and_are_kept(app, setup, kw, status, code):
    response = _post(app, setup.token, **kw)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]
    row = db.session.get(Voicemail, body["id"])
    assert (row.state, row.reason) == (VoicemailState.REFUSED, code)


def test_api_oversize_and_malformed_fields(app, setup, configure):
    configure(voicemail_max_bytes=1000)
    assert _post(app, setup.token).get_json()["error"] == "too_large"
    configure(voicemail_max_bytes=10_000_000)
    assert _post(app, setup.token, received_at="gestern").status_code == 400
    assert _post(app, setup.token, codec="gsm").status_code == 400
    assert _post(app, setup.token, mailbox="../42").status_code == 400
    assert _post(app, "vm_falsch").status_code == 401

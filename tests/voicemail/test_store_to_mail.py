"""The PBX's voicemail script writes a recording into a mailbox folder of its WebDAV store; the user gets a mail
with the WAV, read back from a real SMTP server."""
from __future__ import annotations

import io

import soundfile as sf
from sqlalchemy import select

from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.tree import Contact
from console.extensions import db
from console.mail.jobs import deliver_due
from console.voicemail import jobs
from console.voicemail.models import Voicemail, VoicemailState
from tests.voicemail.conftest import correlation, g711a, speech, tone


def _attachment(message):
    parts = [p for p in message.iter_attachments()]
    assert len(parts) == 1
    part = parts[0]
    samples, rate = sf.read(io.BytesIO(part.get_content()), dtype="int16")
    return part, samples, rate


def test_a_tone_put_by_the_pbx_arrives_as_a_wav_mail_in_german(make_customer, mailbox_user, pbx_side, smtp_sink):
    customer = make_customer()
    user = mailbox_user(customer, extension="21", language="de")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("21")
    sent = tone(440, 3.0)
    response = pbx.put("21/msg-20261202T130501Z-cgpn=%2B49301234567&dn=Max%20M%C3%BCller&dur=3.g711a", g711a(sent))
    assert response.status_code == 201, response.text
    row = db.session.scalar(select(Voicemail))
    assert row.state is VoicemailState.STORED and row.phone_user_id == user.id   # committed before the answer
    assert row.caller_number == "+49301234567" and row.caller_name == "Max Müller"

    assert jobs.process_stored() == 1
    db.session.expire_all()
    assert row.state is VoicemailState.MAILED
    assert deliver_due().sent == 1
    [received] = smtp_sink.received
    message = received.parsed
    assert message["To"] == user.email
    assert message["Subject"] == "Sprachnachricht von Max Müller"
    body = message.get_body(("plain",)).get_content()
    assert "030 1234567" in body and "Länge: 0:03" in body and "Sie haben eine neue Sprachnachricht" in body
    part, samples, rate = _attachment(message)
    assert part.get_content_type() == "audio/wav" and part.get_filename().endswith(".wav")
    assert rate == 8000 and abs(len(samples) - len(sent)) <= 8
    assert correlation(samples, sent) > 0.99

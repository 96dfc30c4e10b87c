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


def _deliver_one(smtp_sink):
    assert jobs.process_stored() == 1
    assert deliver_due().sent == 1
    return smtp_sink.received[-1].parsed


def test_speech_arrives_in_english_named_from_the_private_book_before_the_shared(
        make_customer, mailbox_user, pbx_side, smtp_sink):
    customer = make_customer()
    user = mailbox_user(customer, extension="22", language="en")
    directory = get_directory()
    books.save_entry(directory, Book(customer.pbx), Contact(surname="Zentrale Muster AG", phone="0221 9876543"))
    books.save_entry(directory, Book(customer.pbx, user), Contact(surname="Mama", phone="0221 9876543"))
    pbx = pbx_side(customer)
    pbx.dav.mkdir("22")
    said = speech("Hello, this is your mother. Please call me back.", voice="en")
    assert pbx.put("22/msg-cgpn=02219876543.g711a", g711a(said)).status_code == 201

    message = _deliver_one(smtp_sink)
    assert message["Subject"] == "Voicemail from Mama"
    body = message.get_body(("plain",)).get_content()
    assert "You have a new voicemail." in body and "Mama (0221 9876543)" in body
    assert "Received: " in body and "CET (UTC+01:00)" in body   # Berlin time, said so
    _part, samples, _rate = _attachment(message)
    assert abs(len(samples) - len(said)) <= 8
    assert correlation(samples, said) > 0.98


def test_without_a_private_entry_the_shared_name_is_used_and_wav_input_is_taken(
        make_customer, mailbox_user, pbx_side, smtp_sink):
    customer = make_customer()
    mailbox_user(customer, extension="23")
    books.save_entry(get_directory(), Book(customer.pbx), Contact(surname="Zentrale Muster AG", phone="0221 5556667"))
    pbx = pbx_side(customer)
    pbx.dav.mkdir("23")
    said = speech("Guten Tag, hier ist die Zentrale.")
    buf = io.BytesIO()
    sf.write(buf, said, 8000, format="WAV", subtype="ULAW")
    assert pbx.put("23/msg-cgpn=%2B492215556667.wav", buf.getvalue()).status_code == 201
    message = _deliver_one(smtp_sink)
    assert message["Subject"] == "Sprachnachricht von Zentrale Muster AG"
    _part, samples, _rate = _attachment(message)
    assert correlation(samples, said) > 0.98


def test_over_the_mail_limit_the_alaw_wav_then_a_link_with_the_reason(
        make_customer, mailbox_user, pbx_side, smtp_sink, configure):
    customer = make_customer()
    mailbox_user(customer, extension="24")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("24")
    sent = tone(660, 10.0)   # 160 kB as 16-bit PCM, 80 kB as A-law; base64 adds a third
    configure(mail_max_bytes=150_000)
    assert pbx.put("24/msg-a.g711a", g711a(sent)).status_code == 201
    message = _deliver_one(smtp_sink)
    part, samples, _rate = _attachment(message)
    assert sf.info(io.BytesIO(part.get_content())).subtype == "ALAW"
    assert correlation(samples, sent) > 0.99

    configure(mail_max_bytes=60_000)
    assert pbx.put("24/msg-b.g711a", g711a(sent)).status_code == 201
    message = _deliver_one(smtp_sink)
    assert not list(message.iter_attachments())
    body = message.get_body(("plain",)).get_content()
    assert "zu groß für einen E-Mail-Anhang" in body and "/voicemail/" in body


def test_a_json_sidecar_fills_what_the_file_name_does_not_say(make_customer, mailbox_user, pbx_side, smtp_sink):
    customer = make_customer()
    mailbox_user(customer, extension="25")
    pbx = pbx_side(customer)
    pbx.dav.mkdir("25")
    sidecar = b'{"caller_number": "0211 4445556", "caller_name": "J\\u00fcrgen Seitenwagen", ' \
              b'"received_at": "2026-12-02T08:15:00+01:00", "duration": 2}'
    assert pbx.put("25/msg-77.json", sidecar).status_code == 201
    assert pbx.put("25/msg-77.g711a", g711a(tone(300, 2.0))).status_code == 201
    row = db.session.scalar(select(Voicemail))
    assert (row.caller_number, row.caller_name, row.claimed_seconds) == ("+492114445556", "Jürgen Seitenwagen", 2)
    assert row.received_at.isoformat() == "2026-12-02T07:15:00+00:00"
    message = _deliver_one(smtp_sink)
    assert message["Subject"] == "Sprachnachricht von Jürgen Seitenwagen"
    assert "0211 4445556" in message.get_body(("plain",)).get_content()

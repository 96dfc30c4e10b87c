"""From a stored recording to its mail, in the one job shape (console.jobs.shape.run_items):

claim   the due rows (STORED and due, or PROCESSING whose lease ran out after a crash)
start   the caller's name from the directory when the PBX gave none (private book first, then shared and
        Exchange: console.directory.books.lookup_name), then a conditional UPDATE takes the row
work    read the file, decode, check the claimed duration, make the WAVs (no session, no transaction)
record  queue the mail under the row's key (so a crash after it and a retry never mail twice) and mark it
fail    count the try; retry later, and after MAX_ATTEMPTS the row is FAILED for staff to see
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import phonenumbers
from flask import current_app
from sqlalchemy import and_, or_, select, update

from console import clock
from console.accounts.models import Pbx, PhoneUser
from console.directory.books import lookup_name
from console.directory.connection import DirectoryUnavailable, get_directory
from console.extensions import db
from console.mail.outbox import Attachment, MessageTooLarge, queue_mail
from console.voicemail import intake, recording, store
from console.voicemail.models import Voicemail, VoicemailSettings, VoicemailState

log = logging.getLogger("console.voicemail")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BATCH = 100


def _due():
    now = clock.now()
    return or_(and_(Voicemail.state == VoicemailState.STORED, Voicemail.next_attempt_at <= now),
               and_(Voicemail.state == VoicemailState.PROCESSING, Voicemail.lease_until < now))


def claimable() -> list[int]:
    return list(db.session.scalars(select(Voicemail.id).where(_due()).order_by(Voicemail.id).limit(BATCH)))


@dataclass(frozen=True)
class Plan:
    id: int
    file: str
    codec: str
    claimed: float | None


@dataclass(frozen=True)
class Decoded:
    seconds: float
    pcm_wav: bytes | None = None
    refusal: str | None = None
    detail: str | None = None
    samples: object = None   # the decoded signal, for the A-law WAV when the 16-bit one is too large


def audio_file(row: Voicemail) -> Path:
    """Where the message's bytes are: in the PBX's tree, or in kept/ once taken out of the PBX's sight."""
    return store.resolve(row.pbx_id, row.path) if row.path else intake.kept_path(row)


def start(voicemail_id: int) -> Plan | None:
    row = db.session.get(Voicemail, voicemail_id)
    if row is None or row.user is None:
        return None
    if not row.caller_name and row.caller_number:
        try:
            row.caller_name = lookup_name(get_directory(), row.pbx, row.caller_number, row.user)
        except DirectoryUnavailable as exc:   # degrade: the mail says the number; the name is a nicety
            log.warning("voicemail %s: no caller name, directory unavailable: %s", row.id, exc)
    taken = db.session.execute(update(Voicemail).where(Voicemail.id == voicemail_id, _due()).values(
        state=VoicemailState.PROCESSING, lease_until=clock.now() + LEASE, attempts=Voicemail.attempts + 1,
        caller_name=row.caller_name).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return None
    db.session.refresh(row)
    return Plan(id=row.id, file=str(audio_file(row)), codec=row.codec, claimed=row.claimed_seconds)


def decode(plan: Plan) -> Decoded:
    data = Path(plan.file).read_bytes()
    try:
        samples = recording.decode(data, plan.codec)
    except recording.Undecodable as exc:
        return Decoded(seconds=0.0, refusal="undecodable", detail=exc.why)
    seconds = len(samples) / recording.RATE
    if seconds <= 0:
        return Decoded(seconds=0.0, refusal="undecodable", detail="no samples")
    if recording.duration_lies(plan.claimed, seconds):
        return Decoded(seconds=seconds, refusal="duration_mismatch",
                       detail=f"claimed {plan.claimed:.1f} s, decoded {seconds:.1f} s")
    return Decoded(seconds=seconds, pcm_wav=recording.wav_pcm(samples), samples=samples)


def record(voicemail_id: int, done: Decoded) -> None:
    row = db.session.get(Voicemail, voicemail_id)
    row.duration_seconds, row.lease_until = done.seconds, None
    if done.refusal:
        intake.refuse(row, done.refusal, done.detail)
        return
    mail_for(row, done)
    row.state, row.mailed_at, row.reason, row.detail = VoicemailState.MAILED, clock.now(), None, None
    prefs = settings_of(row.user)
    if prefs.delete_after_mail and row.path:   # out of the PBX's sight; the inbox still has it
        target = intake.kept_path(row)
        target.parent.mkdir(parents=True, exist_ok=True)
        store.resolve(row.pbx_id, row.path).replace(target)
        row.path = None
    db.session.flush()


def fail(voicemail_id: int, exc: Exception) -> None:
    row = db.session.get(Voicemail, voicemail_id)
    if row is None:
        return
    row.lease_until, row.detail = None, f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = VoicemailState.FAILED
        _tell_staff(row)
    else:
        row.state = VoicemailState.STORED
        row.next_attempt_at = clock.now() + timedelta(seconds=30 * 2 ** row.attempts)
    log.warning("voicemail %s: attempt %s failed: %s", row.id, row.attempts, row.detail)
    db.session.flush()


def _tell_staff(row: Voicemail) -> None:
    """The retries ran out: staff hear of it once, with a link to the PBX's store page (where they can retry)."""
    settings = current_app.extensions["settings"]
    queue_mail(key=f"voicemail-failed:{row.id}", to=settings.mail_staff_to, template="voicemail/failed",
               context={"row": row, "base_url": settings.base_url.rstrip("/")}, language="de")


# --- the mail -----------------------------------------------------------------------------------------------

def settings_of(user: PhoneUser) -> VoicemailSettings:
    return db.session.get(VoicemailSettings, user.id) or VoicemailSettings(
        phone_user_id=user.id, email=None, attach=True, delete_after_mail=False, language=None)


def written_number(number: str | None, pbx: Pbx) -> str:
    """A number as people of the PBX's country write it: +49 30 1234567 is 030 1234567 in Germany."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, pbx.country or "DE")
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    national = phonenumbers.region_code_for_number(parsed) == (pbx.country or "DE")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def attachment_name(row: Voicemail) -> str:
    return f"voicemail-{row.received_at.astimezone(clock.BERLIN).strftime('%Y-%m-%d-%H%M')}-{row.id}.wav"


def mail_for(row: Voicemail, done: Decoded):
    """Queue the message's mail: the 16-bit WAV, else the A-law WAV, else a link with the reason."""
    user, prefs = row.user, settings_of(row.user)
    settings = current_app.extensions["settings"]
    language = prefs.language or user.language or "de"
    context = {"row": row, "user": user, "caller": row.caller_name, "number": written_number(row.caller_number,
               row.pbx), "seconds": done.seconds, "link": f"{settings.base_url.rstrip('/')}/voicemail/{row.id}",
               "why_no_attachment": None}
    to = prefs.email or user.email
    if not to:
        raise ValueError(f"user {user.id} has no mail address for voicemail")
    common = dict(key=row.key, to=to, template="voicemail/message", language=language, field="email")
    if prefs.attach:
        for encode in (lambda: done.pcm_wav, lambda: recording.wav_alaw(done.samples)):
            try:
                return queue_mail(context=context, attachments=[
                    Attachment(attachment_name(row), "audio/wav", encode())], **common)
            except MessageTooLarge:
                continue
        context["why_no_attachment"] = "too_large"
    else:
        context["why_no_attachment"] = "notify_only"
    return queue_mail(context=context, **common)


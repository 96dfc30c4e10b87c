"""POST /api/v1/voicemail: a recording from another system, for a PBX's voicemail token (Bearer).

multipart/form-data: ``recording`` (the file: WAV in PCM / A-law / µ-law, or raw G.711), ``codec`` (``wav``,
``g711a`` or ``g711u``; default: from the file name, else ``wav``), ``mailbox`` (the user's extension),
optional ``caller_number``, ``caller_name``, ``called_number``, ``received_at`` (ISO 8601 with an offset),
``duration`` (seconds). Stored (and fsynced) and its row committed before the answer; then mailed by the job.

Answers: 201 stored; 401 no valid token; 400 a field is malformed; 409 unknown mailbox; 403 no package;
413 too large; 422 undecodable audio or a duration that does not match. Every refusal is kept for staff.
"""
from __future__ import annotations

import json

from flask import jsonify, request

from console import clock
from console.auth import tokens
from console.auth.scope import TokenPrincipal
from console.extensions import db
from console.voicemail import intake, recording, store
from console.voicemail.blueprint import api
from console.voicemail.models import VoicemailToken

_STATUS = {"unknown_mailbox": 409, "no_package": 403, "too_large": 413, "undecodable": 422,
           "duration_mismatch": 422}


def _refused():
    response = jsonify(error="unauthorized", message="a valid voicemail bearer token is required")
    response.headers["WWW-Authenticate"] = 'Bearer realm="voicemail"'
    return response, 401


def _bad(field: str, message: str):
    return jsonify(error="invalid", field=field, message=message), 400


def _answer(row):
    if row.reason:
        return jsonify(id=row.id, state=row.state.value, error=row.reason,
                       message=str(intake.MESSAGES[row.reason]), detail=row.detail), _STATUS[row.reason]
    return jsonify(id=row.id, state=row.state.value), 201


@api.post("")
@tokens.bearer_required(VoicemailToken, _refused)
def receive(principal: TokenPrincipal):
    pbx = principal.pbx
    upload = request.files.get("recording")
    if upload is None:
        return _bad("recording", "send the recording as the multipart field 'recording'")
    codec = (request.form.get("codec") or recording.codec_of(upload.filename or "") or "wav").lower()
    if codec not in ("wav", "g711a", "g711u"):
        return _bad("codec", "codec must be wav, g711a or g711u")
    mailbox = request.form.get("mailbox", "").strip()
    if not store.MAILBOX.fullmatch(mailbox):
        return _bad("mailbox", "mailbox must be the user's extension (digits)")
    meta = recording.from_sidecar(_form_json())
    if request.form.get("received_at") and meta.received_at is None:
        return _bad("received_at", "received_at must be ISO 8601 with an offset, e.g. 2026-12-02T14:05:00+01:00")
    if request.form.get("duration") and meta.duration is None:
        return _bad("duration", "duration must be a number of seconds")
    limit = intake.max_bytes()
    data = upload.stream.read(limit + 1)
    user, reason = intake.check(pbx, mailbox, len(data))
    relative = None
    if reason is None:
        relative = f"{mailbox}/{store.new_name(codec, clock.now().strftime('%Y%m%dT%H%M%SZ'))}"
        store.write(store.resolve(pbx.id, relative), data)
    row = intake.receive(pbx, mailbox=mailbox, path=relative, codec=codec, size=len(data), meta=meta,
                         source="api")
    if row.reason and row.reason != "too_large":
        store.write(intake.kept_path(row), data)   # kept for staff to see
    elif not row.reason:
        try:
            samples = recording.decode(data, codec)
            seconds = len(samples) / recording.RATE
            if seconds <= 0:
                raise recording.Undecodable("no samples")
            if recording.duration_lies(meta.duration, seconds):
                intake.refuse(row, "duration_mismatch", f"claimed {meta.duration:.1f} s, decoded {seconds:.1f} s")
            row.duration_seconds = seconds
        except recording.Undecodable as exc:
            intake.refuse(row, "undecodable", exc.why)
    db.session.commit()
    return _answer(row)


def _form_json() -> bytes:
    form = request.form
    return json.dumps({k: form.get(k) for k in ("caller_number", "caller_name", "called_number", "received_at",
                                                "duration") if form.get(k)}).encode()

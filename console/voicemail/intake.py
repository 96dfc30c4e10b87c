"""A new recording: its row, written in the caller's transaction (the WebDAV PUT's or the API's), with the
checks that need no decoding (mailbox, package, size). Flushes, never commits.

Refusals keep their row (state REFUSED, `reason`) and their bytes (moved to the PBX's kept/ folder), so staff
see what arrived and why it was refused.
"""
from __future__ import annotations

import os
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock
from console.accounts.models import Feature, Pbx, PhoneUser, user_has
from console.extensions import db
from console.phone import InvalidNumber, to_e164
from console.voicemail import store
from console.voicemail.models import Voicemail, VoicemailState
from console.voicemail.recording import Metadata

#: What each refusal says, to the sender and on the staff page.
MESSAGES = {
    "unknown_mailbox": _l("There is no user with this mailbox (extension) on the PBX."),
    "no_package": _l("Voicemail to e-mail is part of Klingende and Volle stimme; this user has neither."),
    "undecodable": _l("The audio could not be decoded in the codec it names."),
    "duration_mismatch": _l("The duration given does not match the recording."),
    "too_large": _l("The recording is larger than the limit."),
}


def max_bytes() -> int:
    return current_app.extensions["settings"].voicemail_max_bytes


def mailbox_user(pbx: Pbx, mailbox: str) -> PhoneUser | None:
    if not store.MAILBOX.fullmatch(mailbox or ""):
        return None
    return db.session.scalar(select(PhoneUser).where(PhoneUser.pbx_id == pbx.id, PhoneUser.extension == mailbox))


def normalised(number: str | None, pbx: Pbx) -> str | None:
    if not number:
        return None
    try:
        return to_e164(number, pbx.country or "DE")
    except InvalidNumber:
        return number


def check(pbx: Pbx, mailbox: str, size: int) -> tuple[PhoneUser | None, str | None]:
    """The user of the mailbox and the reason to refuse, if any (before decoding)."""
    user = mailbox_user(pbx, mailbox)
    if user is None:
        return None, "unknown_mailbox"
    if not user_has(user, Feature.VOICEMAIL_TO_MAIL):
        return user, "no_package"
    if size > max_bytes():
        return user, "too_large"
    return user, None


def receive(pbx: Pbx, *, mailbox: str, path: str | None, codec: str, size: int, meta: Metadata,
            source: str = "dav", received_at: datetime | None = None) -> Voicemail:
    """The row for a recording already on disk at `path` (in the PBX's tree). A refused one is moved to kept/
    and its row says why."""
    user, reason = check(pbx, mailbox, size)
    row = Voicemail(pbx_id=pbx.id, phone_user_id=user.id if user else None, mailbox=mailbox[:40], path=path,
                    codec=codec, size=size, source=source, caller_number=normalised(meta.caller_number, pbx),
                    caller_name=meta.caller_name, called_number=normalised(meta.called_number, pbx),
                    received_at=meta.received_at or received_at or clock.now(), claimed_seconds=meta.duration,
                    state=VoicemailState.STORED, attempts=0, next_attempt_at=clock.now(), created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    if reason:
        refuse(row, reason)
    return row


def refuse(row: Voicemail, reason: str, detail: str | None = None) -> None:
    """Final: the row keeps the reason, the bytes go out of the PBX's sight into kept/."""
    row.state, row.reason, row.detail, row.lease_until = VoicemailState.REFUSED, reason, detail, None
    if row.path:
        try:
            source = store.resolve(row.pbx_id, row.path)
            target = store.kept_dir(row.pbx_id) / f"{row.id}.{row.codec}"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except (FileNotFoundError, store.OutsideTree):
            pass
        row.path = None
    db.session.flush()


def kept_path(row: Voicemail):
    return store.kept_dir(row.pbx_id) / f"{row.id}.{row.codec}"


def live_row_at(pbx_id: int, path: str) -> Voicemail | None:
    return db.session.scalar(select(Voicemail).where(Voicemail.pbx_id == pbx_id, Voicemail.path == path,
                                                     Voicemail.deleted_at.is_(None)))


def moved(pbx_id: int, old: str, new: str) -> None:
    """The PBX moved a message: into heard/ it was heard; anywhere else, it just lives there now."""
    row = live_row_at(pbx_id, old)
    if row is None:
        return
    row.path = new
    if store.is_heard_path(new) and row.heard_at is None:
        row.heard_at = clock.now()
    db.session.flush()


def deleted(pbx_id: int, path: str) -> None:
    """The PBX deleted a message: the inbox no longer shows it."""
    row = live_row_at(pbx_id, path)
    if row is not None:
        row.deleted_at, row.path = clock.now(), None
        db.session.flush()


def deleted_under(pbx_id: int, folder: str) -> None:
    """The PBX deleted a whole folder (a mailbox, its heard/): every message in it is deleted."""
    prefix = folder.strip("/") + "/"
    for row in db.session.scalars(select(Voicemail).where(Voicemail.pbx_id == pbx_id, Voicemail.path.is_not(None),
                                                          Voicemail.deleted_at.is_(None))):
        if row.path.startswith(prefix) or prefix == "/":
            row.deleted_at, row.path = clock.now(), None
    db.session.flush()

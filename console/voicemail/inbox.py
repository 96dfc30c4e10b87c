"""The web inbox's operations on messages already loaded in scope: mark heard, delete (also from the PBX's store),
the store's credentials, a user's settings. Flushes, never commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from console import clock
from console.accounts.models import Pbx, PhoneUser
from console.auth import tokens
from console.errors import RuleViolation
from console.extensions import db
from console.mail import addresses
from console.voicemail import intake, store
from console.voicemail.models import Voicemail, VoicemailSettings, VoicemailToken

TOKEN_PREFIX = "vm_"


def mark_heard(row: Voicemail) -> None:
    """Heard in the inbox: moved into the mailbox's heard/ folder, so the PBX no longer announces it as new."""
    if row.heard_at is None:
        row.heard_at = clock.now()
    if row.path and store.is_recording(row.path):
        destination = f"{row.mailbox}/{store.HEARD}/{row.path.rsplit('/', 1)[-1]}"
        try:
            store.move(row.pbx_id, row.path, destination)
            row.path = destination
        except FileNotFoundError:
            row.path = None
    db.session.flush()


def delete(row: Voicemail) -> None:
    """Gone from the inbox and from the PBX's store (and from kept/)."""
    store.remove(row.pbx_id, row.path)
    intake.kept_path(row).unlink(missing_ok=True)
    row.path, row.deleted_at = None, clock.now()
    db.session.flush()


def issue_token(pbx: Pbx, name: str) -> tuple[VoicemailToken, str]:
    """New store credentials for the PBX: its name and this token (shown once)."""
    return tokens.issue(VoicemailToken, TOKEN_PREFIX, pbx=pbx, name=name[:100] or "PBX")


def revoke_token(token: VoicemailToken) -> None:
    tokens.revoke(token)


def save_settings(user: PhoneUser, *, email: str | None, attach: bool, delete_after_mail: bool,
                  language: str | None) -> VoicemailSettings:
    if email:
        addresses.parse(email, "email")   # RuleViolation naming the field when it cannot be mailed to
    if language not in (None, "", "de", "en"):
        raise RuleViolation({"language": _l("Choose German or English.")})
    row = db.session.get(VoicemailSettings, user.id)
    if row is None:
        row = VoicemailSettings(phone_user_id=user.id)
        db.session.add(row)
    row.email, row.attach, row.delete_after_mail = (email or None), attach, delete_after_mail
    row.language = language or None
    db.session.flush()
    return row

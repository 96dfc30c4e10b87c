"""Who owns a fax number, who may send faxes from which address, and each user's fax settings."""
from __future__ import annotations

from sqlalchemy import func, select

from console.accounts.models import Feature, Pbx, PhoneUser, Site, Trunk, user_has
from console.extensions import db
from console.fax.models import FaxSettings
from console.phone import InvalidNumber, to_e164


def owner_of(number: str) -> PhoneUser | None:
    """The Volle user whose personal fax number this is (numbers are unique on the platform)."""
    user = db.session.scalar(select(PhoneUser).where(PhoneUser.fax_number == number))
    return user if user is not None and user_has(user, Feature.FAX) else None


def pbx_of(number: str) -> Pbx | None:
    """The PBX whose trunk's number block holds the number (a fax to a number nobody owns goes to its admins)."""
    for trunk in db.session.scalars(select(Trunk).where(func.substr(number, 1, func.length(Trunk.base_number))
                                                        == Trunk.base_number)):
        if trunk.covers(number[len(trunk.base_number):]):
            return db.session.get(Site, trunk.site_id).pbx
    return None


def sender_for(address: str | None) -> PhoneUser | None:
    """The Volle user with a fax number who registered this e-mail address, or None: nobody else sends faxes."""
    address = (address or "").strip().lower()
    if not address or "@" not in address:
        return None
    for user in db.session.scalars(select(PhoneUser).where(func.lower(PhoneUser.email) == address,
                                                           PhoneUser.fax_number.is_not(None))):
        if user_has(user, Feature.FAX):
            return user
    return None


def destination(local_part: str, country: str) -> str | None:
    """The number of `<number>@<fax domain>` in E.164 (written +49…, 0049… or nationally), or None."""
    text = local_part.strip()
    if not text or len(text) > 30 or any(c not in "+0123456789-./()" for c in text):
        return None
    try:
        return to_e164(text, country or "DE")
    except InvalidNumber:
        return None


def settings_for(user: PhoneUser) -> FaxSettings:
    """The user's fax settings, the defaults (everything on) when they never changed them (not stored then)."""
    row = db.session.scalar(select(FaxSettings).where(FaxSettings.phone_user_id == user.id))
    return row or FaxSettings(phone_user_id=user.id, notify_incoming=True, attach_pdf=True, send_confirmation=True,
                              report_pdf=True, error_mail=True, cover_page=False, language=None)


def language_of(user: PhoneUser) -> str:
    return settings_for(user).language or user.language or "de"


def save_settings(user: PhoneUser, **options) -> FaxSettings:
    """Store the user's options (flushes)."""
    row = db.session.scalar(select(FaxSettings).where(FaxSettings.phone_user_id == user.id))
    if row is None:
        row = FaxSettings(phone_user_id=user.id)
        db.session.add(row)
    for name in ("notify_incoming", "attach_pdf", "send_confirmation", "report_pdf", "error_mail", "cover_page"):
        setattr(row, name, bool(options.get(name)))
    language = options.get("language")
    row.language = language if language in ("de", "en") else None
    db.session.flush()
    return row

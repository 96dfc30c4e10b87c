"""Hold music and announcements: items, uploads, conversion, activation, and what the PBX is served.

Services flush, never commit. An upload is checked by its content (console.media.audio) before anything is
stored: a refused file leaves no row and no file. An accepted one is stored as uploaded, then converted by the
job (console.media.jobs) into the files the PBX plays.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from console import clock
from console.accounts.models import Pbx
from console.auth.scope import TokenPrincipal, scoped
from console.errors import RuleViolation
from console.extensions import db
from console.media import audio, rejections
from console.media.models import (HOLD_MUSIC_SLUG, MediaItem, MediaKind, MediaTarget, MediaVersion, PbxMediaToken,
                                  VersionState)

log = logging.getLogger("console.media")


# --- files ---------------------------------------------------------------------------------------------------

def media_root() -> Path:
    return Path(current_app.extensions["settings"].media_dir)


def _write(relative: str, data: bytes) -> None:
    """Write atomically: a reader (the PBX) never sees half a file."""
    path = media_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_file(relative: str) -> bytes:
    return (media_root() / relative).read_bytes()


def absolute(relative: str) -> Path:
    return media_root() / relative


def discard_files(version: MediaVersion) -> None:
    """Remove a version's directory (when the transaction that stored it did not commit)."""
    if version.original_path:
        shutil.rmtree(media_root() / Path(version.original_path).parent, ignore_errors=True)


# --- items -----------------------------------------------------------------------------------------------------

def limits(kind: MediaKind) -> dict:
    settings = current_app.extensions["settings"]
    seconds = (settings.media_music_max_seconds if kind is MediaKind.HOLD_MUSIC
               else settings.media_announcement_max_seconds)
    return {"max_bytes": settings.media_max_bytes, "max_seconds": float(seconds)}


def slugify(name: str) -> str:
    name = name.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:50] or "ansage"


def _free_slug(pbx: Pbx, kind: MediaKind, name: str) -> str:
    taken = set(db.session.scalars(select(MediaItem.slug).where(MediaItem.pbx_id == pbx.id)))
    if kind is MediaKind.HOLD_MUSIC and HOLD_MUSIC_SLUG not in taken:
        return HOLD_MUSIC_SLUG   # the PBX's own hold music replaces the standard one under the same URL
    base = slugify(name)
    if base == HOLD_MUSIC_SLUG:
        base = f"{base}-2"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_item(pbx: Pbx, *, kind: MediaKind, name: str, target: MediaTarget | None = None,
                group_name: str | None = None) -> MediaItem:
    name = (name or "").strip()
    group_name = (group_name or "").strip() or None
    errors: dict[str, object] = {}
    if not name:
        errors["name"] = _l("Give it a name, e.g. “Hold music summer”.")
    elif len(name) > 100:
        errors["name"] = _l("At most 100 characters.")
    if kind is MediaKind.ANNOUNCEMENT:
        if target is None:
            errors["target"] = _l("Choose whether the announcement is for the operator (extension 0) or a group.")
        elif target is MediaTarget.GROUP and not group_name:
            errors["group_name"] = _l("Name the group the announcement is played for.")
    else:
        target, group_name = None, None
    if target is MediaTarget.OPERATOR:
        group_name = None
    if errors:
        raise RuleViolation(errors)
    item = MediaItem(pbx_id=pbx.id, kind=kind, target=target, group_name=group_name, name=name,
                     slug=_free_slug(pbx, kind, name), created_at=clock.now())
    db.session.add(item)
    db.session.flush()
    return item


# --- versions --------------------------------------------------------------------------------------------------

def add_version(uploaded_by: str, item: MediaItem, data: bytes, filename: str, *,
                normalize: bool = True) -> MediaVersion:
    """Check an upload by its content and store it as uploaded (state pending); the job converts it.

    Raises RuleViolation(file=…) with the audio core's message in the reader's language; nothing is stored then.
    """
    try:
        info = audio.inspect(data, **limits(item.kind))
    except audio.AudioRejected as exc:
        raise RuleViolation(file=rejections.Described(exc.code, exc.params)) from None
    number = (db.session.scalar(select(func.max(MediaVersion.number)).where(MediaVersion.item_id == item.id))
              or 0) + 1
    # A random part keeps a rolled-back upload's files from ever being mistaken for a later version's.
    folder = f"{item.pbx_id or 'standard'}/{item.id}/v{number}-{secrets.token_hex(4)}"
    version = MediaVersion(
        item=item, number=number, state=VersionState.PENDING, active=False,
        original_name=(Path(filename or "").name or "upload")[:255], original_format=info.format,
        original_path=f"{folder}/original.{info.format}", original_bytes=len(data),
        source_rate=info.sample_rate, source_channels=info.channels, duration_seconds=info.duration_seconds,
        normalize=normalize,
        uploaded_by=uploaded_by[:300], uploaded_at=clock.now())
    db.session.add(version)
    db.session.flush()
    _write(version.original_path, data)   # store first, then process
    return version


@dataclass(frozen=True)
class ConversionPlan:
    """What decoding one version needs, as plain values: the work runs with no session and no transaction."""
    version_id: int
    original: Path
    folder: str
    normalize: bool
    limits: dict


@dataclass(frozen=True)
class Converted:
    folder: str
    sizes: dict
    digest: str
    duration_seconds: float
    gain_db: float


#: A conversion claimed this long ago whose job never recorded a result died with its process: taken again.
STALE_CONVERSION = timedelta(minutes=15)
#: Conversions begun (crashed ones included) before a version is refused instead of tried again.
MAX_CONVERSION_ATTEMPTS = 3


def _claimable():
    return (MediaVersion.state == VersionState.PENDING) | (
        (MediaVersion.state == VersionState.CONVERTING) & (MediaVersion.claimed_at < clock.now() - STALE_CONVERSION))


def convertible() -> list[int]:
    """The versions the conversion job should take: pending ones, and those a crashed job left converting."""
    return list(db.session.scalars(select(MediaVersion.id).where(_claimable()).order_by(MediaVersion.id)))


def start_conversion(version_id: int) -> ConversionPlan | None:
    """Take a version (flushes): CONVERTING from now on, for every connection once committed. None when another
    runner took it first, or when it has crashed the job MAX_CONVERSION_ATTEMPTS times (it is refused then)."""
    taken = db.session.execute(
        update(MediaVersion).where(MediaVersion.id == version_id, _claimable())
        .values(state=VersionState.CONVERTING, claimed_at=clock.now(), attempts=MediaVersion.attempts + 1),
        execution_options={"synchronize_session": False}).rowcount
    if taken != 1:
        return None
    version = db.session.get(MediaVersion, version_id, populate_existing=True)
    if version.attempts > MAX_CONVERSION_ATTEMPTS:
        log.error("media version %s crashed the conversion %s times; refused", version_id, version.attempts - 1)
        fail_conversion(version_id, RuntimeError("the conversion never finished"))
        return None
    return ConversionPlan(version_id=version.id, original=absolute(version.original_path),
                          folder=str(Path(version.original_path).parent), normalize=version.normalize,
                          limits=limits(version.item.kind))


def decode(plan: ConversionPlan) -> Converted:
    """The slow part: decode, convert and write the three files the PBX plays. Touches no database row.
    Raises audio.AudioRejected for bad content."""
    _info, out = audio.inspect_and_convert(plan.original.read_bytes(), normalize=plan.normalize, **plan.limits)
    sizes = {}
    for coder, data in (("g711a", out.g711a), ("g711u", out.g711u), ("wav", out.wav)):
        _write(f"{plan.folder}/audio.{coder}", data)
        sizes[coder] = len(data)
    return Converted(folder=plan.folder, sizes=sizes, digest=hashlib.sha256(out.wav).hexdigest(),
                     duration_seconds=out.duration_seconds, gain_db=round(out.gain_db, 1))


def finish_conversion(version_id: int, done: Converted) -> None:
    """Record a conversion (flushes). The first ready version of an item becomes its active one."""
    version = db.session.get(MediaVersion, version_id, populate_existing=True)
    for coder, size in done.sizes.items():
        setattr(version, f"{coder}_path", f"{done.folder}/audio.{coder}")
        setattr(version, f"{coder}_bytes", size)
    version.digest = done.digest
    version.duration_seconds = done.duration_seconds
    version.gain_db = done.gain_db
    version.state = VersionState.READY
    version.failure_reason = version.failure_code = version.failure_params = None
    version.converted_at = clock.now()
    db.session.flush()
    if version.item.active_version is None:
        activate(version)


def fail_conversion(version_id: int, exc: Exception) -> None:
    """Bad content marks the version failed with the reason; the original stays (flushes). Any other error
    (a damaged store, a library fault) is said as such."""
    version = db.session.get(MediaVersion, version_id, populate_existing=True)
    if not isinstance(exc, audio.AudioRejected):
        log.error("media conversion of version %s failed", version_id, exc_info=exc)
        exc = rejections.conversion_error()
    version.state = VersionState.FAILED
    version.failure_reason, version.failure_code, version.failure_params = exc.reason, exc.code, exc.params
    db.session.flush()


def convert_version(version: MediaVersion) -> None:
    """Convert one version in the caller's transaction (the standard hold music, made once by the CLI); the job
    takes the same steps with a commit between each (console.media.jobs)."""
    plan = start_conversion(version.id)
    if plan is None:
        return
    try:
        done = decode(plan)
    except Exception as exc:
        fail_conversion(version.id, exc)
    else:
        finish_conversion(version.id, done)


def activate(version: MediaVersion) -> None:
    """Make a converted version the one the PBX gets (also a previous one again)."""
    if version.state is not VersionState.READY:
        raise RuleViolation({"": _l("Only a converted version can be activated.")})
    current = version.item.active_version
    if current is version:
        return
    if current is not None:
        current.active = False
        db.session.flush()   # first off, then on: the database allows one active version per item
    version.active = True
    version.activated_at = clock.now()
    db.session.flush()


# --- serving ---------------------------------------------------------------------------------------------------

def media_token(pbx: Pbx) -> PbxMediaToken | None:
    """The PBX's URL secret (made with the PBX, see console.media.models; None only for a PBX that predates both
    that and the migration which gave every PBX one)."""
    return db.session.get(PbxMediaToken, pbx.id)


def renew_media_token(pbx: Pbx) -> PbxMediaToken:
    """A new secret: the old URLs stop working (after a leak); the PBX needs the new ones."""
    token = media_token(pbx)
    if token is None:
        token = PbxMediaToken(pbx_id=pbx.id)
        db.session.add(token)
    else:
        token.renew()
    token.created_at = clock.now()
    db.session.flush()
    return token


def standard_hold_music() -> MediaItem | None:
    return db.session.scalar(select(MediaItem).where(MediaItem.pbx_id.is_(None),
                                                     MediaItem.kind == MediaKind.HOLD_MUSIC).order_by(MediaItem.id))


def served_version(principal: TokenPrincipal, slug: str) -> MediaVersion | None:
    """What the PBX behind the media secret gets under `slug`: its own item's active version; for the hold music
    slug the standard hold music while the PBX has none of its own."""
    item = db.session.scalar(scoped(MediaItem, principal).where(MediaItem.pbx_id.is_not(None), MediaItem.slug == slug))
    version = item.active_version if item else None
    if version is None and slug == HOLD_MUSIC_SLUG:
        standard = standard_hold_music()
        version = standard.active_version if standard else None
    return version if version is not None and version.state is VersionState.READY else None

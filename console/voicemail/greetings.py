"""Personal greetings: an MP3 or WAV (uploaded, or recorded in the browser and sent as WAV) goes through the media
pipeline (console.media.audio: checked, resampled, loudness evened out) and is placed in the user's mailbox folder
of the PBX's store as ``greeting.g711a`` and ``greeting.g711u``, where the voicemail script plays it."""
from __future__ import annotations

from flask import current_app

from console.accounts.models import PhoneUser
from console.media import audio
from console.voicemail import store

CODECS = ("g711a", "g711u")
MAX_SECONDS = 120.0


def _path(user: PhoneUser, codec: str):
    return store.resolve(user.pbx_id, f"{user.extension}/greeting.{codec}")


def save(user: PhoneUser, data: bytes) -> float:
    """Convert and place the greeting; raises AudioRejected with the reason. Returns its length in seconds."""
    settings = current_app.extensions["settings"]
    _info, converted = audio.inspect_and_convert(data, max_bytes=settings.media_max_bytes, max_seconds=MAX_SECONDS)
    store.write(_path(user, "g711a"), converted.g711a)
    store.write(_path(user, "g711u"), converted.g711u)
    return converted.duration_seconds


def exists(user: PhoneUser) -> bool:
    return _path(user, "g711a").is_file()


def read(user: PhoneUser) -> bytes | None:
    path = _path(user, "g711a")
    return path.read_bytes() if path.is_file() else None


def remove(user: PhoneUser) -> None:
    for codec in CODECS:
        _path(user, codec).unlink(missing_ok=True)

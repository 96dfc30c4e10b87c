"""A recording as it arrives, and as it goes out: its codec, its metadata, its decoding, its WAV.

Pure functions, no database. Decoding reuses the media pipeline (console.media.audio: WAV containers,
resampling to 8 kHz mono); headerless G.711 is read by soundfile (libsndfile), as the PBX writes it.

Metadata from the file name (see docs/voicemail.md): ``key=value`` fields joined by ``&`` anywhere in the
name, as innovaphone's recording scripts write them (``msg-20261202T134501Z-cgpn=0301234567&dn=Erika.g711a``).
Understood keys, the first found wins:

- caller number: ``cgpn``, ``e164``, ``from``, else the user part of ``sip`` when it is a number
- caller name: ``dn``, ``name``
- called number: ``cdpn``, ``to``
- received at: ``time`` (``YYYYMMDDTHHMMSSZ`` UTC or Unix seconds)
- duration: ``dur`` (seconds, may have a fraction)

Values are percent-decoded (UTF-8). A JSON side-car ``<same name>.json`` (PUT before the recording) fills
what the name does not say: ``caller_number``, ``caller_name``, ``called_number``, ``received_at`` (ISO 8601 with
an offset), ``duration`` (seconds).
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from urllib.parse import unquote

import numpy as np
import soundfile as sf

from console.media import audio
from console.media.rejections import AudioRejected

RATE = 8000
#: Suffix → codec of a message file the console takes for a recording.
CODECS = {".g711a": "g711a", ".g711u": "g711u", ".wav": "wav", ".g722": "g722", ".opus": "opus"}
_RAW = {"g711a": "ALAW", "g711u": "ULAW"}
#: A claimed duration further off than this (and more than DURATION_SLACK_SHARE of it) is a lie.
DURATION_SLACK_SECONDS = 1.5
DURATION_SLACK_SHARE = 0.1
_FIELD = re.compile(r"([A-Za-z0-9_]+)=([^&]*)")
_NAME_KEYS = {"caller_number": ("cgpn", "e164", "from"), "caller_name": ("dn", "name"),
              "called_number": ("cdpn", "to"), "received_at": ("time",), "duration": ("dur",)}


class Undecodable(Exception):
    """The bytes are not audio of the codec they claim; `why` says what was found."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Metadata:
    caller_number: str | None = None
    caller_name: str | None = None
    called_number: str | None = None
    received_at: datetime | None = None
    duration: float | None = None

    def filled_from(self, other: "Metadata") -> "Metadata":
        """This, with what it lacks taken from `other`."""
        return replace(self, **{k: getattr(other, k) for k in self.__dataclass_fields__
                                if getattr(self, k) is None and getattr(other, k) is not None})


def codec_of(name: str) -> str | None:
    lower = name.lower()
    return next((codec for suffix, codec in CODECS.items() if lower.endswith(suffix)), None)


def _time(value: str) -> datetime | None:
    value = value.strip()
    try:
        if value.isdigit() and len(value) <= 12:
            return datetime.fromtimestamp(int(value), timezone.utc)
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else None   # a time without an offset is no instant


def _seconds(value) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86400 else None


def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    text = "".join(ch for ch in str(value) if ch.isprintable()).strip()
    return text[:limit] or None


def _build(values: dict) -> Metadata:
    return Metadata(caller_number=_text(values.get("caller_number"), 40),
                    caller_name=_text(values.get("caller_name"), 200),
                    called_number=_text(values.get("called_number"), 40),
                    received_at=_time(str(values["received_at"])) if values.get("received_at") else None,
                    duration=_seconds(values.get("duration")))


def from_name(name: str) -> Metadata:
    """What the file name says (see the module docstring)."""
    stem = name.rsplit(".", 1)[0]
    fields: dict[str, str] = {}
    for key, value in _FIELD.findall(stem):
        fields.setdefault(key.lower(), unquote(value, errors="replace"))
    values = {}
    for attribute, keys in _NAME_KEYS.items():
        found = next((fields[k] for k in keys if fields.get(k)), None)
        if found is not None:
            values[attribute] = found
    if "caller_number" not in values and fields.get("sip"):
        user = fields["sip"].removeprefix("sip:").partition("@")[0]
        if re.fullmatch(r"\+?\d{3,20}", user):
            values["caller_number"] = user
    return _build(values)


def from_sidecar(data: bytes) -> Metadata:
    """What a JSON side-car says; anything unreadable says nothing."""
    try:
        values = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Metadata()
    return _build(values) if isinstance(values, dict) else Metadata()


# --- decoding and the mail's WAV ----------------------------------------------------------------------------

def decode(data: bytes, codec: str) -> np.ndarray:
    """8 kHz mono int16 samples, or Undecodable."""
    if not data:
        raise Undecodable("empty")
    if codec in _RAW and not data.startswith((b"RIFF", b"ID3", b"OggS", b"fLaC")):
        samples, _rate = sf.read(io.BytesIO(data), format="RAW", subtype=_RAW[codec], samplerate=RATE,
                                 channels=1, dtype="int16")
        return samples
    if codec in _RAW or codec == "wav":   # a container under a raw name is decoded by its content
        try:
            converted = audio.convert(data, normalize=False, fade_ms=0)
        except AudioRejected as exc:
            raise Undecodable(exc.reason) from None
        samples, _rate = sf.read(io.BytesIO(converted.wav), dtype="int16")
        return samples
    raise Undecodable(f"codec {codec} is not supported")


def duration_lies(claimed: float | None, decoded: float) -> bool:
    if claimed is None:
        return False
    off = abs(claimed - decoded)
    return off > DURATION_SLACK_SECONDS and off > DURATION_SLACK_SHARE * max(claimed, decoded)


def wav_pcm(samples: np.ndarray) -> bytes:
    """8 kHz 16-bit PCM WAV: plays in every mail client and browser."""
    return _wav(samples, "PCM_16")


def wav_alaw(samples: np.ndarray) -> bytes:
    """8 kHz A-law WAV, half the size; plays in Outlook, Apple Mail, Chrome and Firefox (never GSM)."""
    return _wav(samples, "ALAW")


def _wav(samples: np.ndarray, subtype: str) -> bytes:
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=RATE, channels=1, format="WAV", subtype=subtype) as f:
        f.write(np.ascontiguousarray(samples, dtype=np.int16))
    return buf.getvalue()

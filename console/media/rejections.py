"""Why an upload cannot be hold music or an announcement (§4.1), as a reason code and its parameters.

Every refusal is an :class:`AudioRejected` with a coarse ``reason`` (one of :data:`REASONS`), a ``code`` naming
its message and the ``params`` behind it. Nothing is worded when it is raised: :func:`describe` words it in the
reader's language through the Babel catalogue, like every other text of the console, so a stored refusal
(``MediaVersion.failure_code`` / ``failure_params``) reads in the language of whoever looks at it.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

REASONS = ("empty", "too_large", "unreadable", "unsupported", "truncated", "silent", "too_long")
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def _l(msgid: str) -> str:
    """Marks a message for `make translations` (which extracts `_l(...)`); it is translated when described."""
    return msgid


# code → message; %(why)s is the message of params["why"], a code from _WHY
_MESSAGES = {
    "empty": _l("The file is empty (0 bytes). MP3 or WAV files are accepted, with music or speech in them."),
    "no_audio": _l("The file contains no audio data. MP3 or WAV files are accepted, with music or speech in them."),
    "unreadable": _l("The file's content is neither MP3 nor WAV (the file name extension alone is not enough). "
                     "MP3 or WAV files are accepted; please save the music as MP3 or WAV in an audio program."),
    "damaged": _l("The %(kind)s file is damaged: %(why)s. MP3 or WAV files are accepted; please export the file "
                  "again."),
    "truncated": _l("The %(kind)s file is incomplete or damaged: %(why)s. Please upload the complete file, or "
                    "export it again as MP3 or WAV."),
    "sample_rate": _l("The file gives a sample rate of %(sample_rate)s Hz; %(lowest)s to %(highest)s Hz are "
                      "accepted. Please save the file as MP3 or WAV with a common sample rate (e.g. 44,100 or "
                      "48,000 Hz)."),
    "channels": _l("The file gives %(channels)s channels; at most %(most)s are accepted. Please save the file as "
                   "a mono or stereo MP3 or WAV."),
    "unsupported": _l("The format %(detected)s is not supported. MP3 or WAV files are accepted (WAV with PCM, "
                      "A-law or µ-law); please save the file as MP3 or WAV."),
    "too_long": _l("The file is %(seconds)s minutes long; at most %(max_seconds)s minutes are accepted."),
    "too_large": _l("The file is %(size)s; at most %(max_bytes)s is accepted (MP3 or WAV). An MP3 file is much "
                    "smaller than a WAV file of the same length."),
    "silent": _l("The file contains no audible sound (loudest passage %(loudest_dbfs)s dBFS; at least "
                 "%(silence_dbfs)s dBFS is needed). Please upload an MP3 or WAV file with music or speech."),
    "all_silent": _l("The file contains no audible sound (it is completely silent). Please upload an MP3 or WAV "
                     "file with music or speech."),
    "conversion_error": _l("The conversion failed; please upload the file again or ask stimme support."),
    # refusals stored before codes were (migration media_reason01): the reason without the numbers
    "refused_too_large": _l("The file is larger than accepted. An MP3 file is much smaller than a WAV file of the "
                            "same length."),
    "refused_unsupported": _l("The file's format is not supported. MP3 or WAV files are accepted (WAV with PCM, "
                              "A-law or µ-law); please save the file as MP3 or WAV."),
    "refused_truncated": _l("The file is incomplete or damaged. Please upload the complete file, or export it "
                            "again as MP3 or WAV."),
    "refused_silent": _l("The file contains no audible sound. Please upload an MP3 or WAV file with music or "
                         "speech."),
    "refused_too_long": _l("The file is longer than accepted for hold music or an announcement."),
}

# what is wrong inside a damaged or truncated file
_WHY = {
    "header_cut": _l("the file ends inside its header"),
    "riff_longer": _l("the RIFF header announces %(declared)s bytes but the file has only %(actual)s"),
    "data_short": _l("the data chunk announces %(declared)s bytes of audio but only %(present)s are present"),
    "data_short_riff": _l("the data chunk announces %(declared)s bytes of audio but only %(present)s are present "
                          "(the RIFF length is wrong)"),
    "chunk_long": _l("the chunk '%(chunk)s' is longer than the file"),
    "chunk_long_riff": _l("the chunk '%(chunk)s' is longer than the file (the RIFF length is wrong)"),
    "riff_wrong": _l("the RIFF length (%(declared)s bytes) is wrong, the file has %(actual)s"),
    "fmt_short": _l("the fmt chunk is too short"),
    "chunk_missing": _l("the %(chunk)s chunk is missing"),
    "fmt_invalid": _l("the fmt chunk is invalid"),
    "bits": _l("the fmt chunk gives %(bits_per_sample)s bits per sample, which %(codec)s cannot have"),
    "block_align": _l("the fmt chunk gives %(block_align)s bytes per sample frame (block_align), but "
                      "%(channels)s × %(bits_per_sample)s bits take %(expected_block_align)s"),
    "block_size": _l("the fmt chunk gives a block size of %(block_align)s bytes, which %(codec)s with "
                     "%(channels)s channels cannot have"),
    "fact": _l("the fact chunk announces %(announced)s samples but the data chunk holds at most %(possible)s"),
    "undecodable": _l("its content cannot be decoded"),
    "beyond_headers": _l("its content decodes to more audio than its headers announce"),
    "id3_cut": _l("the file ends inside its ID3 tag"),
    "id3_title_cut": _l("the file ends inside its ID3 tag (title information)"),
    "rate_change": _l("the MP3 frames change midway from %(first_rate)s Hz (MPEG layer %(first_layer)s) to "
                      "%(rate)s Hz (layer %(layer)s)"),
    "frame_cut": _l("the last MP3 frame is cut off (%(missing_bytes)s bytes missing)"),
    "frame_header_cut": _l("the file ends inside an MP3 frame header"),
    "frames_missing": _l("the header announces %(announced)s MP3 frames but only %(frames)s are present"),
    "decoded_short": _l("decoding yielded only %(decoded_seconds)s of the %(expected_seconds)s minutes the "
                        "headers announce"),
}

_SECONDS = {"seconds", "max_seconds", "decoded_seconds", "expected_seconds"}
_BYTES = {"size", "max_bytes"}
_DBFS = {"loudest_dbfs", "silence_dbfs"}


class AudioRejected(Exception):
    """An upload that cannot be used as hold music or announcement: ``reason`` (one of :data:`REASONS`, or
    "error"), ``code`` (its message) and ``params`` (the numbers and names behind it, JSON values)."""

    def __init__(self, reason: str, code: str, **params):
        if reason not in REASONS and reason != "error":
            raise ValueError(f"unknown rejection reason {reason!r}")
        if code not in _MESSAGES:
            raise ValueError(f"unknown rejection message {code!r}")
        super().__init__(code)
        self.reason, self.code, self.params = reason, code, params

    @property
    def details(self) -> dict:
        return self.params

    def message(self, lang: str | None = None) -> str:
        return describe(self.code, self.params, lang)

    @property
    def message_de(self) -> str:
        return self.message("de")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def __str__(self) -> str:
        return f"{self.reason}: {self.message('en')}"

    def __repr__(self) -> str:
        return f"AudioRejected({self.reason!r}, {self.code!r}, **{self.params!r})"


class Described:
    """A refusal as a form error: worded when shown, in the language of whoever reads it."""

    def __init__(self, code: str, params: dict):
        self.code, self.params = code, params

    def __str__(self) -> str:
        return describe(self.code, self.params)


# --- wording ---------------------------------------------------------------------------------------------------

def describe(code: str | None, params: dict | None, lang: str | None = None) -> str:
    """A stored refusal in `lang`, else in the reader's language (the request's locale; German outside one)."""
    lang = _language(lang)
    params = dict(params or {})
    message = _MESSAGES.get(code or "", _MESSAGES["conversion_error"])
    shown = {key: _show(key, value, lang) for key, value in params.items() if key != "why"}
    if "why" in params:
        shown["why"] = _gettext(_WHY.get(params["why"], _WHY["undecodable"]), lang) % _Missing(shown)
    return _gettext(message, lang) % _Missing(shown)


class _Missing(dict):
    """A stored refusal that lacks a parameter still reads (with a dash), rather than failing a page."""
    def __missing__(self, key):
        return "–"


def _language(lang: str | None) -> str:
    if lang is None:
        try:
            from flask_babel import get_locale
            lang = str(get_locale() or "de")
        except RuntimeError:   # outside an app context
            lang = "de"
    return "de" if lang.lower().startswith("de") else "en"   # English is the catalogue's source language


@lru_cache(maxsize=4)
def _catalogue(lang: str):
    from babel.support import Translations
    return Translations.load(str(TRANSLATIONS), [lang])


def _gettext(msgid: str, lang: str) -> str:
    return msgid if lang == "en" else _catalogue(lang).gettext(msgid)


def _show(key: str, value, lang: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if key in _SECONDS:
        return mmss(value)
    if key in _BYTES:
        return size_text(int(value), lang)
    if key in _DBFS:
        return f"{value:.0f}"
    return number(value, lang)


def number(n: float, lang: str) -> str:
    text = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


def size_text(n: int, lang: str) -> str:
    """A byte count for people: bytes, kB or MB (binary multiples, as file managers show them)."""
    if n < 1024:
        return f"{n} Bytes" if lang == "de" else f"{n} bytes"
    value, unit = (n / 1024, "kB") if n < 1024 * 1024 else (n / (1024 * 1024), "MB")
    text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text.replace('.', ',') if lang == 'de' else text} {unit}"


def mmss(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# --- the refusals ------------------------------------------------------------------------------------------------

def empty(has_header: bool = False) -> AudioRejected:
    return AudioRejected("empty", "no_audio" if has_header else "empty")


def unreadable() -> AudioRejected:
    return AudioRejected("unreadable", "unreadable")


def damaged(fmt: str, why: str, **details) -> AudioRejected:
    """Headers that contradict themselves or the file (judged before anything is decoded)."""
    return AudioRejected("unreadable", "damaged", kind=fmt.upper(), why=_known_why(why), **details)


def unreadable_wav(why: str, **details) -> AudioRejected:
    return damaged("wav", why, **details)


def truncated(fmt: str, why: str, **details) -> AudioRejected:
    return AudioRejected("truncated", "truncated", kind=fmt.upper(), why=_known_why(why), **details)


def sample_rate(rate: int, lowest: int, highest: int) -> AudioRejected:
    return AudioRejected("unsupported", "sample_rate", sample_rate=rate, lowest=lowest, highest=highest)


def channels(count: int, most: int) -> AudioRejected:
    return AudioRejected("unsupported", "channels", channels=count, most=most)


def unsupported(name: str, **details) -> AudioRejected:
    return AudioRejected("unsupported", "unsupported", detected=name, **details)


def too_long(seconds: float, max_seconds: float) -> AudioRejected:
    return AudioRejected("too_long", "too_long", seconds=seconds, max_seconds=max_seconds)


def too_large(size: int, max_bytes: int) -> AudioRejected:
    return AudioRejected("too_large", "too_large", size=size, max_bytes=max_bytes)


def silent(loudest: float, silence_dbfs: float) -> AudioRejected:
    if math.isinf(loudest):   # no JSON value for -inf: a silence that is complete says so instead
        return AudioRejected("silent", "all_silent", loudest_dbfs=None)
    return AudioRejected("silent", "silent", loudest_dbfs=loudest, silence_dbfs=silence_dbfs)


def conversion_error() -> AudioRejected:
    return AudioRejected("error", "conversion_error")


def _known_why(why: str) -> str:
    if why not in _WHY:
        raise ValueError(f"unknown rejection detail {why!r}")
    return why

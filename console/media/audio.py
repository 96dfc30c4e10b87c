"""Audio core of the hold music and announcements feature (§4.1 Wartemusik, Zentrale).

Pure functions, no database and no Flask:

* :func:`inspect` checks an upload by *decoding its content* (never by its file name) and either returns an
  :class:`AudioInfo` or raises :class:`AudioRejected` with a machine ``reason`` and a German and English message
  that says what is wrong and what would be accepted.
* :func:`convert` turns an accepted MP3 or WAV into what the innovaphone PBX plays: headerless raw G.711 A-law
  (the ``.g711a`` file), raw G.711 µ-law (``.g711u``), both 8 kHz mono, and an 8 kHz mono 16-bit PCM WAV for
  listening in the browser.
* :func:`inspect_and_convert` does both with a single decode.

Decoding and resampling are done by ``miniaudio`` (dr_mp3 / dr_wav and its resampler), encoding by ``soundfile``
(libsndfile's A-law / µ-law / PCM writers); numpy does the signal work in between. No codec is written here.

What is accepted
    MP3 (MPEG-1/2/2.5 Layer III, optionally with ID3 tags) and RIFF WAV with PCM (8-32 bit), IEEE float, A-law,
    µ-law, MS ADPCM or IMA ADPCM content. Everything else (Ogg, FLAC, AIFF, AAC/M4A, MP2, GSM-WAV, RF64, ...) is
    ``unsupported``; content that is no audio file at all (a text file renamed to ``.mp3``) is ``unreadable``.

How a damaged file is recognised
    *MP3*: the frame headers are walked; a last frame that ends beyond the end of the data, a Xing/Info or VBRI
    header that announces more frames than present, an ID3v2 tag longer than the file, or a decode that yields much
    less audio than the frame headers promise, means ``truncated``. (An MP3 cut exactly on a frame boundary and
    without a Xing header is a valid, shorter MP3 and cannot be told apart.)
    *WAV*: the RIFF chunk list is walked; a RIFF size or a chunk size (notably ``data``) that claims more bytes than
    the file holds, or a ``data`` chunk reaching past the declared RIFF end, means ``truncated``. Bytes after the
    declared RIFF end (some taggers append an ID3 tag there) are ignored.

Silence
    The signal as the PBX will play it (8 kHz mono) is cut into 20 ms blocks; a file whose loudest block has an RMS
    below ``SILENCE_DBFS`` (-60 dBFS) is ``silent``.

Loudness normalisation (``convert(normalize=True)``)
    A single gain for the whole file, no compressor: the gated RMS level (20 ms blocks; blocks below -60 dBFS and
    then blocks more than 20 dB below the mean of the rest are ignored, a simplified EBU R128 gating, so pauses do
    not count) is brought to ``TARGET_RMS_DBFS`` (-16 dBFS), but the gain is lowered so that the peak stays at or
    below ``PEAK_CEILING_DBFS`` (-1 dBFS), and it never exceeds ``MAX_GAIN_DB`` (+30 dB) so that noise is not
    blown up. Loud masters are turned down the same way. A fade in / fade out (raised cosine, ``fade_ms``) avoids
    clicks at the start and where the PBX loops the file.

Resampling
    miniaudio's resampler is a linear interpolator behind a low-order low-pass: straight to 8 kHz, content just
    above 4 kHz folds back into the telephone band only weakly damped (from 44.1 kHz, 4.5 kHz came back at
    3.5 kHz 6 dB down, 5 kHz at 3 kHz 9 dB down). So miniaudio resamples to 16 kHz, and a Kaiser-windowed
    half-band FIR (pass band to 3.6 kHz, stop band from 4.4 kHz, about 80 dB) halves that to 8 kHz. Loudest
    in-band product of a 4.5-8 kHz tone, below a 1 kHz tone of the same level: 16 and 48 kHz sources more than
    80 dB; 44.1 kHz 34-46 dB; 22.05 kHz 16-39 dB. What is left are images that miniaudio's interpolation makes
    at non-integer ratios (and of 12-14 kHz content from 44.1 / 48 kHz, 21-25 dB down at worst); they fall inside
    the band before any filter of ours could see them. Going through 32 or 64 kHz instead measured worse.
    The pass band is flat to within 0.6 dB up to 3.4 kHz (0.2 dB from 16, 44.1 and 48 kHz sources).

Not recognised
    Free-format MP3 (no bitrate in the frame headers) is refused as ``unreadable``.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import miniaudio
import numpy as np
import soundfile as sf

__all__ = [
    "AudioInfo",
    "AudioRejected",
    "ConvertedAudio",
    "REASONS",
    "convert",
    "inspect",
    "inspect_and_convert",
]

#: The PBX's G.711 files and the preview WAV are 8 kHz mono.
OUTPUT_RATE = 8000
#: A file whose loudest 20 ms stretch is quieter than this is refused as silent.
SILENCE_DBFS = -60.0
#: Loudness normalisation: target RMS level, peak ceiling and largest gain applied.
TARGET_RMS_DBFS = -16.0
PEAK_CEILING_DBFS = -1.0
MAX_GAIN_DB = 30.0
#: Gating of the loudness measurement: blocks this far below the mean of the audible blocks are ignored.
RELATIVE_GATE_DB = 20.0
BLOCK_SECONDS = 0.02

REASONS = ("empty", "too_large", "unreadable", "unsupported", "truncated", "silent", "too_long")

_ACCEPTED_DE = "Erlaubt sind MP3- oder WAV-Dateien"
_ACCEPTED_EN = "MP3 or WAV files are accepted"


# --------------------------------------------------------------------------------------------------------------
# Results and the rejection


class AudioRejected(Exception):
    """An upload that cannot be used as hold music or announcement.

    ``reason`` is one of :data:`REASONS`; ``message_de`` / ``message_en`` (or ``message(lang)``) tell the person
    what is wrong and what would be accepted; ``details`` holds the numbers behind the message.
    """

    def __init__(self, reason: str, message_de: str, message_en: str, **details):
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(message_en)
        self.reason = reason
        self.message_de = message_de
        self.message_en = message_en
        self.details = details

    def message(self, lang: str = "de") -> str:
        return self.message_de if (lang or "de").lower().startswith("de") else self.message_en

    def __str__(self) -> str:
        return f"{self.reason}: {self.message_en}"

    def __repr__(self) -> str:
        return f"AudioRejected({self.reason!r}, {self.message_en!r})"


@dataclass(frozen=True)
class AudioInfo:
    format: str                # "mp3" or "wav", from the content
    duration_seconds: float    # decoded duration
    sample_rate: int           # of the upload
    channels: int              # of the upload
    peak_dbfs: float = field(default=float("-inf"))   # of the 8 kHz mono signal the PBX will play
    rms_dbfs: float = field(default=float("-inf"))    # gated RMS level, same signal


@dataclass(frozen=True)
class ConvertedAudio:
    g711a: bytes               # headerless A-law, 8 kHz mono: the innovaphone ``.g711a`` file
    g711u: bytes               # headerless µ-law, 8 kHz mono: ``.g711u``
    wav: bytes                 # RIFF WAV, 8 kHz mono, 16-bit PCM
    duration_seconds: float
    sample_rate: int = OUTPUT_RATE
    gain_db: float = 0.0       # gain applied by the loudness normalisation


# --------------------------------------------------------------------------------------------------------------
# Public functions


def inspect(data: bytes, *, max_bytes: int, max_seconds: float) -> AudioInfo:
    """Validate an upload by its content; raise :class:`AudioRejected` or return what it is."""
    info, _pcm = _inspect(data, max_bytes=max_bytes, max_seconds=max_seconds)
    return info


def convert(data: bytes, *, normalize: bool = True, fade_ms: int = 50) -> ConvertedAudio:
    """Decode once, resample to 8 kHz mono, optionally normalise, fade, and encode the three outputs.

    Raises :class:`AudioRejected` for content that is not a usable MP3 / WAV; size, length and silence limits are
    :func:`inspect`'s business.
    """
    data = bytes(data)
    if not data:
        raise _empty()
    probe = _probe(data)
    pcm = _decode(data, probe)
    return _encode(pcm, normalize=normalize, fade_ms=fade_ms)


def inspect_and_convert(data: bytes, *, max_bytes: int, max_seconds: float, normalize: bool = True,
                        fade_ms: int = 50) -> tuple[AudioInfo, ConvertedAudio]:
    """:func:`inspect` and :func:`convert` with a single decode (for the background job)."""
    info, pcm = _inspect(data, max_bytes=max_bytes, max_seconds=max_seconds)
    return info, _encode(pcm, normalize=normalize, fade_ms=fade_ms)


# --------------------------------------------------------------------------------------------------------------
# Inspection


@dataclass
class _Probe:
    format: str
    sample_rate: int
    channels: int
    expected_seconds: float | None   # what the headers promise, None when unknown (ADPCM WAV)
    format_tag: int = 0              # WAV only


def _inspect(data: bytes, *, max_bytes: int, max_seconds: float) -> tuple[AudioInfo, np.ndarray]:
    data = bytes(data)
    size = len(data)
    if size == 0:
        raise _empty()
    if size > max_bytes:
        raise AudioRejected(
            "too_large",
            f"Die Datei ist {_mb_de(size)} groß; erlaubt sind höchstens {_mb_de(max_bytes)} "
            f"(MP3 oder WAV). Eine MP3-Datei ist viel kleiner als eine WAV-Datei gleicher Länge.",
            f"The file is {_mb_en(size)}; at most {_mb_en(max_bytes)} is accepted (MP3 or WAV). "
            f"An MP3 file is much smaller than a WAV file of the same length.",
            size=size, max_bytes=max_bytes)
    probe = _probe(data)
    # The headers already tell the length: refuse an over-long file before decoding it. The tolerance covers
    # MP3 encoder delay and padding, which the decoder trims.
    if probe.expected_seconds is not None and probe.expected_seconds - 0.5 > max_seconds:
        raise _too_long(probe.expected_seconds, max_seconds)
    pcm = _decode(data, probe)
    duration = len(pcm) / OUTPUT_RATE
    if duration == 0:
        raise _empty(has_header=True)
    if probe.expected_seconds is not None and duration < 0.9 * probe.expected_seconds - 0.1:
        raise _truncated(
            probe.format,
            f"beim Dekodieren ergaben sich nur {_mmss(duration)} statt der laut Dateikopf "
            f"{_mmss(probe.expected_seconds)} Minuten",
            f"decoding yielded only {_mmss(duration)} of the {_mmss(probe.expected_seconds)} minutes "
            f"the headers announce",
            decoded_seconds=duration, expected_seconds=probe.expected_seconds)
    if duration > max_seconds:
        raise _too_long(duration, max_seconds)
    peak, loudest, gated = _levels(pcm)
    if loudest < SILENCE_DBFS:
        if loudest == float("-inf"):
            level_de, level_en = "sie ist vollständig still", "it is completely silent"
        else:
            level_de = f"lauteste Stelle {loudest:.0f} dBFS; nötig sind mindestens {SILENCE_DBFS:.0f} dBFS"
            level_en = f"loudest passage {loudest:.0f} dBFS; at least {SILENCE_DBFS:.0f} dBFS is needed"
        raise AudioRejected(
            "silent",
            f"Die Datei enthält keinen hörbaren Ton ({level_de}). "
            f"Bitte eine MP3- oder WAV-Datei mit Musik oder Ansage hochladen.",
            f"The file contains no audible sound ({level_en}). Please upload an MP3 or WAV file with music or speech.",
            loudest_dbfs=loudest)
    info = AudioInfo(format=probe.format, duration_seconds=duration, sample_rate=probe.sample_rate,
                     channels=probe.channels, peak_dbfs=peak, rms_dbfs=gated)
    return info, pcm


def _probe(data: bytes) -> _Probe:
    """Identify the content and check its structure, without decoding the audio."""
    head = data[:16]
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _probe_wav(data)
    other = _other_format(data, 0)
    if other:
        raise _unsupported(other)
    if head[:4] in (b"RIFX", b"RF64", b"BW64") or head[:4] == b"RIFF":
        raise _unsupported({b"RIFX": "RIFX (big-endian WAV)", b"RF64": "RF64", b"BW64": "BW64"}.get(
            head[:4], f"RIFF/{data[8:12].decode('latin-1', 'replace').strip()}"))
    return _probe_mp3(data)


def _other_format(data: bytes, pos: int) -> str | None:
    """The name of a recognised audio (or other) format that is not accepted, or None."""
    h = data[pos:pos + 12]
    if h[:4] == b"OggS":
        body = data[pos:pos + 128]
        return "Ogg Opus" if b"OpusHead" in body else "Ogg Vorbis" if b"vorbis" in body else "Ogg"
    if h[:4] == b"fLaC":
        return "FLAC"
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF"
    if h[4:8] == b"ftyp":
        return "MP4/M4A/AAC"
    if h[:4] == b".snd":
        return "AU"
    if h[:5] == b"#!AMR":
        return "AMR"
    if h[:4] == b"caff":
        return "CAF"
    if h[:4] == b"MThd":
        return "MIDI"
    if h[:4] == b"0&\xb2u":
        return "WMA/ASF"
    if h[:4] == b"wvpk":
        return "WavPack"
    if h[:4] == b"MAC ":
        return "Monkey's Audio"
    if len(h) >= 2 and h[0] == 0xFF and (h[1] & 0xF6) == 0xF0:
        return "AAC (ADTS)"
    return None


# ---- WAV


_WAV_CODECS = {1: "PCM", 2: "MS ADPCM", 3: "IEEE float", 6: "A-law", 7: "µ-law", 0x11: "IMA ADPCM"}
_WAV_CODEC_NAMES = {0x31: "GSM 6.10", 0x55: "MP3", 0x50: "MPEG", 0x64: "G.721 ADPCM", 0x65: "G.723 ADPCM",
                    0x0161: "WMA", 0x2000: "AC-3", 0x1610: "AAC", 0x028F: "G.722", 0x0022: "TrueSpeech",
                    0x0040: "G.721", 0x0014: "G.723", 0x0045: "G.726"}


def _probe_wav(data: bytes) -> _Probe:
    n = len(data)
    if n < 12:
        raise _truncated("wav", "die Datei endet im Dateikopf", "the file ends inside its header")
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    # A missing pad byte after an odd-sized last chunk is tolerated.
    if riff_end > n + 1:
        raise _truncated(
            "wav", f"der Dateikopf (RIFF) gibt {_int_de(riff_end)} Bytes an, die Datei hat aber nur {_int_de(n)}",
            f"the RIFF header announces {riff_end:,} bytes but the file has only {n:,}",
            declared=riff_end, actual=n)
    limit = min(riff_end, n)
    pos = 12
    fmt = None
    data_size = None
    while pos + 8 <= limit:
        cid = data[pos:pos + 4]
        csize = struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        end = body + csize
        if end > limit:
            name = cid.decode("latin-1", "replace").strip()
            if cid == b"data":
                what_de = f"der data-Block gibt {_int_de(csize)} Bytes Audiodaten an, vorhanden sind nur " \
                          f"{_int_de(max(0, min(n, riff_end) - body))}"
                what_en = f"the data chunk announces {csize:,} bytes of audio but only " \
                          f"{max(0, min(n, riff_end) - body):,} are present"
            else:
                what_de = f"der Block „{name}“ ist länger als die Datei"
                what_en = f"the chunk '{name}' is longer than the file"
            if end > n:
                raise _truncated("wav", what_de, what_en, chunk=name, declared=csize, actual=n - body)
            raise _truncated("wav", what_de + " (die RIFF-Längenangabe ist falsch)",
                             what_en + " (the RIFF length is wrong)", chunk=name, declared=csize)
        if cid == b"fmt ":
            if csize < 16:
                raise _unreadable_wav("der fmt-Block ist zu kurz", "the fmt chunk is too short")
            tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == 0xFFFE and csize >= 40:
                tag = struct.unpack_from("<H", data, body + 24)[0]
            fmt = (tag, channels, rate, block_align, bits)
        elif cid == b"data":
            data_size = csize
        pos = end + (csize & 1)
    if fmt is None or data_size is None:
        missing = "fmt" if fmt is None else "data"
        if riff_end < n and data.find(b"data" if fmt is not None else b"fmt ", riff_end) >= 0:
            raise _truncated(
                "wav", f"die RIFF-Längenangabe ({_int_de(riff_end)} Bytes) ist falsch, die Datei hat {_int_de(n)}",
                f"the RIFF length ({riff_end:,} bytes) is wrong, the file has {n:,}", declared=riff_end, actual=n)
        raise _unreadable_wav(f"der {missing}-Block fehlt", f"the {missing} chunk is missing")
    tag, channels, rate, block_align, bits = fmt
    if tag not in _WAV_CODECS:
        codec = _WAV_CODEC_NAMES.get(tag, f"0x{tag:04X}")
        raise _unsupported(f"WAV ({codec})", wav_codec=tag)
    if channels < 1 or rate < 1 or block_align < 1:
        raise _unreadable_wav("der fmt-Block ist ungültig", "the fmt chunk is invalid")
    if data_size == 0:
        raise _empty(has_header=True)
    if tag in (1, 3, 6, 7):
        expected = data_size // block_align / rate
    else:   # ADPCM: samples per block depend on the codec; leave the check to the decoder
        expected = None
    return _Probe("wav", rate, channels, expected, format_tag=tag)


# ---- MP3

_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}   # by version bits
_BITRATES = {   # kbit/s by (MPEG-1?, layer)
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SYNC_SEARCH = 64 * 1024   # leading junk tolerated before the first frame


@dataclass(frozen=True)
class _Frame:
    version: int     # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    layer: int       # 1, 2, 3
    rate: int
    channels: int
    length: int      # bytes, 0 for free format
    samples: int


def _frame_at(data: bytes, pos: int) -> _Frame | None:
    if pos + 4 > len(data) or data[pos] != 0xFF:
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    if b1 & 0xE0 != 0xE0:
        return None
    version = (b1 >> 3) & 3
    layer = 4 - ((b1 >> 1) & 3)
    br_index = b2 >> 4
    sr_index = (b2 >> 2) & 3
    if version == 1 or layer == 4 or br_index == 15 or sr_index == 3 or (b3 & 3) == 2:
        return None
    mpeg1 = version == 3
    rate = _MPEG_RATES[version][sr_index]
    bitrate = _BITRATES[(mpeg1, layer)][br_index] * 1000
    padding = (b2 >> 1) & 1
    channels = 1 if (b3 >> 6) == 3 else 2
    if bitrate == 0:   # free format: the length is not in the header
        return _Frame(version, layer, rate, channels, 0, 1152 if layer == 2 or mpeg1 else 384 if layer == 1 else 576)
    if layer == 1:
        samples = 384
        length = (12 * bitrate // rate + padding) * 4
    elif layer == 2 or mpeg1:
        samples = 1152
        length = 144 * bitrate // rate + padding
    else:
        samples = 576
        length = 72 * bitrate // rate + padding
    return _Frame(version, layer, rate, channels, length, samples)


def _chain_at(data: bytes, pos: int, frames: int = 3) -> _Frame | None:
    """The frame at ``pos`` if ``frames - 1`` matching frames follow it, or the data ends exactly after one, or
    after at least two matching frames a frame runs past the end (a cut file, reported as truncated later).
    Free-format frames (bitrate index 0) have no length and do not qualify."""
    first = _frame_at(data, pos)
    if first is None or first.length == 0:
        return None
    n = len(data)
    p = pos
    f = first
    for i in range(1, frames):
        p += f.length
        if p == n or (p > n and i > 1):
            return first
        if p > n:
            return None
        f = _frame_at(data, p)
        if f is None or f.length == 0 or (f.version, f.layer, f.rate) != (first.version, first.layer, first.rate):
            return None
    return first


def _skip_id3v2(data: bytes, pos: int) -> int:
    while data[pos:pos + 3] == b"ID3":
        if pos + 10 > len(data):
            raise _truncated("mp3", "die Datei endet im ID3-Tag", "the file ends inside its ID3 tag")
        version, flags = data[pos + 3], data[pos + 5]
        s = data[pos + 6:pos + 10]
        if version not in (2, 3, 4) or data[pos + 4] == 0xFF or flags & 0x0F or any(b & 0x80 for b in s):
            return pos   # not a valid ID3v2 header: let the frame search decide
        size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3]
        end = pos + 10 + size + (10 if flags & 0x10 else 0)
        if end > len(data):
            raise _truncated("mp3", "die Datei endet im ID3-Tag (Titelinformationen)",
                             "the file ends inside its ID3 tag (title information)",
                             declared=end, actual=len(data))
        pos = end
    return pos


def _probe_mp3(data: bytes) -> _Probe:
    n = len(data)
    start = _skip_id3v2(data, 0)
    other = _other_format(data, start) if start else None
    if other:
        raise _unsupported(other)
    # First frame: at the start or after a little junk (zero padding after a tag, for example).
    pos = start
    first = None
    limit = min(n, start + _SYNC_SEARCH)
    while pos < limit:
        pos = data.find(b"\xff", pos, limit)
        if pos < 0:
            break
        first = _chain_at(data, pos)
        if first is not None:
            break
        pos += 1
    if first is None:
        raise _unreadable()
    if first.layer != 3:
        raise _unsupported(f"MPEG Layer {'I' * first.layer} (MP{first.layer})")

    announced = _xing_frames(data, pos, first)
    frames = 0
    samples = 0
    while True:
        f = _frame_at(data, pos)
        if f is None or (f.version, f.layer, f.rate) != (first.version, first.layer, first.rate) \
                or f.length == 0:
            # Not a frame: trailing tags, or damage the decoder may resync over.
            nxt = _resync(data, pos)
            if nxt is None:
                break
            pos = nxt
            continue
        if pos + f.length > n:
            missing = pos + f.length - n
            raise _truncated(
                "mp3",
                f"der letzte MP3-Frame bricht ab ({_int_de(missing)} Bytes fehlen)",
                f"the last MP3 frame is cut off ({missing:,} bytes missing)",
                frames=frames, missing_bytes=missing)
        frames += 1
        samples += f.samples
        pos += f.length
    rest = data[pos:]
    if rest and len(rest) < 4 and rest[0] == 0xFF:
        raise _truncated("mp3", "die Datei endet mitten in einem MP3-Frame-Kopf",
                         "the file ends inside an MP3 frame header")
    if announced is not None and frames < announced - 1:   # encoders differ on counting the header frame
        raise _truncated(
            "mp3",
            f"der Dateikopf kündigt {_int_de(announced)} MP3-Frames an, vorhanden sind nur {_int_de(frames - 1)}",
            f"the header announces {announced:,} MP3 frames but only {frames - 1:,} are present",
            frames=frames - 1, announced=announced)
    return _Probe("mp3", first.rate, first.channels, samples / first.rate)


def _resync(data: bytes, pos: int) -> int | None:
    """Next position after ``pos`` where a chain of frames starts, or None (only tags or junk follow)."""
    n = len(data)
    p = pos + 1
    while True:
        p = data.find(b"\xff", p)
        if p < 0 or p + 4 > n:
            return None
        if _chain_at(data, p) is not None:
            return p
        p += 1


def _xing_frames(data: bytes, pos: int, f: _Frame) -> int | None:
    """Frame count from a Xing/Info or VBRI header in the first frame (counting the header frame itself)."""
    if f.version == 3:
        side = 17 if f.channels == 1 else 32
    else:
        side = 9 if f.channels == 1 else 17
    x = pos + 4 + side
    tag = data[x:x + 4]
    if tag in (b"Xing", b"Info") and x + 12 <= len(data):
        flags = struct.unpack_from(">I", data, x + 4)[0]
        if flags & 1:
            return struct.unpack_from(">I", data, x + 8)[0] + 1
        return None
    v = pos + 4 + 32
    if data[v:v + 4] == b"VBRI" and v + 18 <= len(data):
        return struct.unpack_from(">I", data, v + 14)[0] + 1
    return None


# ---- Decoding


def _decode(data: bytes, probe: _Probe) -> np.ndarray:
    """8 kHz mono int16 samples. miniaudio decodes with the decoder the content called for and resamples to
    16 kHz; a half-band low-pass here halves that to 8 kHz (an 8 kHz source is decoded at 8 kHz directly)."""
    # Via 16 kHz rather than straight to 8 kHz: miniaudio's linear resampler leaves what lies just above 4 kHz in
    # the signal, to fold back into the telephone band. 32 or 64 kHz would be worse: its images of 12-20 kHz
    # content then land in the band less damped (measured; see the module docstring).
    rate = OUTPUT_RATE if probe.sample_rate == OUTPUT_RATE else 16000
    try:
        pcm = _miniaudio_decode(data, probe.format, rate)
    except miniaudio.DecodeError:
        if probe.format == "mp3":
            raise _unreadable() from None
        raise _unreadable_wav("der Inhalt lässt sich nicht dekodieren", "its content cannot be decoded") from None
    if rate == OUTPUT_RATE:
        return pcm
    x = _halve_rate(pcm.astype(np.float32), _HALFBAND)
    np.rint(x, out=x)
    np.clip(x, -32768, 32767, out=x)
    return x.astype(np.int16)


def _halfband_taps(half_length: int, beta: float = 7.9) -> np.ndarray:
    """Kaiser-windowed sinc cut off at a quarter of the rate, about 80 dB stop band; every other tap but the
    centre one is zero (a half-band filter), so it costs half its length."""
    k = np.arange(-half_length, half_length + 1)
    h = 0.5 * np.sinc(k / 2) * np.kaiser(2 * half_length + 1, beta)
    return (h / h.sum()).astype(np.float32)


#: 16 → 8 kHz: pass band to 3.6 kHz, stop band from 4.4 kHz.
_HALFBAND = _halfband_taps(50)


def _halve_rate(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Low-pass with the half-band ``h``, evaluated only at the kept samples, centred (no delay added).

    miniaudio's resampler straight to 8 kHz lets 5 kHz come back at 3 kHz only 9 dB down; through 16 kHz and
    this filter, 40 dB from 44.1 kHz and over 80 dB from 16 or 48 kHz, for a few numpy passes over the signal.
    """
    m = len(h) // 2
    n_out = (len(x) + 1) // 2
    padded = np.zeros(len(x) + 2 * m + 2, dtype=np.float32)
    padded[m:m + len(x)] = x
    span = 2 * n_out

    def taps_at(offset: int) -> np.ndarray:   # x[2n + offset] for every output n
        return padded[m + offset:m + offset + span:2]

    y = h[m] * taps_at(0)
    for k in range(1, m + 1, 2):   # symmetric pairs of the non-zero (odd) taps
        y += h[m + k] * (taps_at(-k) + taps_at(k))
    return y


def _miniaudio_decode(data: bytes, fmt: str, rate: int = OUTPUT_RATE) -> np.ndarray:
    """``miniaudio.decode(data, nchannels=1, sample_rate=rate, output_format=SIGNED16)``, told the container.

    Naming the decoder keeps miniaudio from trying its others (dr_mp3 would find "frames" in almost anything)
    and saves one copy of the result. Falls back to ``miniaudio.decode`` if the binding lacks the field.
    """
    lib, ffi = miniaudio.lib, miniaudio.ffi
    config = lib.ma_decoder_config_init(miniaudio.SampleFormat.SIGNED16.value, 1, rate)
    try:
        config.encodingFormat = lib.ma_encoding_format_mp3 if fmt == "mp3" else lib.ma_encoding_format_wav
        config.ditherMode = miniaudio.DitherMode.NONE.value
    except AttributeError:  # pragma: no cover - older / different binding
        decoded = miniaudio.decode(data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
                                   sample_rate=rate)
        return np.frombuffer(decoded.samples, dtype=np.int16)
    with ffi.new("ma_uint64 *") as frames, ffi.new("void **") as memory:
        result = lib.ma_decode_memory(data, len(data), ffi.addressof(config), frames, memory)
        if result != lib.MA_SUCCESS:
            raise miniaudio.DecodeError("failed to decode data", result)
        try:
            count = int(frames[0])
            if count == 0:
                return np.zeros(0, dtype=np.int16)
            return np.frombuffer(ffi.buffer(memory[0], count * 2), dtype=np.int16).copy()
        finally:
            if memory[0] != ffi.NULL:
                lib.ma_free(memory[0], ffi.NULL)


# --------------------------------------------------------------------------------------------------------------
# Signal work and encoding


def _block_power(x: np.ndarray) -> np.ndarray:
    """Mean square (full scale = 1.0) of each 20 ms block; a short tail counts as its own block."""
    b = int(OUTPUT_RATE * BLOCK_SECONDS)
    full = len(x) // b * b
    f = x[:full].astype(np.float32).reshape(-1, b)
    f *= 1.0 / 32768.0
    power = np.einsum("ij,ij->i", f, f) / b
    if full < len(x):
        t = x[full:].astype(np.float32) / 32768.0
        power = np.append(power, np.float32(np.dot(t, t) / len(t)))
    return power


def _db(power_or_amp: float, *, power: bool) -> float:
    if power_or_amp <= 0:
        return float("-inf")
    return float((10.0 if power else 20.0) * np.log10(power_or_amp))


def _levels(pcm: np.ndarray) -> tuple[float, float, float]:
    """(peak dBFS, loudest 20 ms block dBFS, gated RMS dBFS) of int16 samples."""
    if len(pcm) == 0:
        return float("-inf"), float("-inf"), float("-inf")
    peak = int(max(int(pcm.max()), -int(pcm.min())))
    power = _block_power(pcm)
    return _db(peak / 32768.0, power=False), _db(float(power.max()), power=True), _gated_rms_db(power)


def _gated_rms_db(power: np.ndarray) -> float:
    audible = power[power >= 10 ** (SILENCE_DBFS / 10)]
    if audible.size == 0:
        return float("-inf")
    relative = audible[audible >= audible.mean() * 10 ** (-RELATIVE_GATE_DB / 10)]
    return _db(float(relative.mean()), power=True)


def _encode(pcm: np.ndarray, *, normalize: bool, fade_ms: int) -> ConvertedAudio:
    gain_db = 0.0
    gain = 1.0
    if normalize and len(pcm):
        peak, _loudest, rms_db = _levels(pcm)
        if rms_db != float("-inf"):
            gain_db = min(TARGET_RMS_DBFS - rms_db, PEAK_CEILING_DBFS - peak, MAX_GAIN_DB)
            gain = 10 ** (gain_db / 20)
    fade = min(int(OUTPUT_RATE * max(fade_ms, 0) / 1000), len(pcm) // 2)
    if gain != 1.0 or fade:
        x = pcm.astype(np.float32)
        if gain != 1.0:
            x *= np.float32(gain)
        if fade:
            ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade, dtype=np.float32))).astype(np.float32)
            x[:fade] *= ramp
            x[-fade:] *= ramp[::-1]
        np.rint(x, out=x)
        np.clip(x, -32768, 32767, out=x)
        out = x.astype(np.int16)
    else:
        out = np.ascontiguousarray(pcm, dtype=np.int16)
    return ConvertedAudio(
        g711a=_sf_bytes(out, "RAW", "ALAW"),
        g711u=_sf_bytes(out, "RAW", "ULAW"),
        wav=_sf_bytes(out, "WAV", "PCM_16"),
        duration_seconds=len(out) / OUTPUT_RATE,
        gain_db=gain_db,
    )


def _sf_bytes(pcm: np.ndarray, fmt: str, subtype: str) -> bytes:
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=OUTPUT_RATE, channels=1, format=fmt, subtype=subtype) as f:
        f.write(pcm)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------------------
# Messages


def _int_de(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _size(n: int, decimal: str) -> str:
    """A byte count for people: bytes, kB or MB (binary multiples, as file managers show them)."""
    if n < 1024:
        return f"{n} Bytes" if decimal == "," else f"{n} bytes"
    value, unit = (n / 1024, "kB") if n < 1024 * 1024 else (n / (1024 * 1024), "MB")
    text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text.replace('.', decimal)} {unit}"


def _mb_de(n: int) -> str:
    return _size(n, ",")


def _mb_en(n: int) -> str:
    return _size(n, ".")


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _empty(has_header: bool = False) -> AudioRejected:
    if has_header:
        return AudioRejected(
            "empty",
            f"Die Datei enthält keine Audiodaten. {_ACCEPTED_DE} mit Musik oder Ansage.",
            f"The file contains no audio data. {_ACCEPTED_EN}, with music or speech in them.")
    return AudioRejected(
        "empty",
        f"Die Datei ist leer (0 Bytes). {_ACCEPTED_DE} mit Musik oder Ansage.",
        f"The file is empty (0 bytes). {_ACCEPTED_EN}, with music or speech in them.")


def _unreadable() -> AudioRejected:
    return AudioRejected(
        "unreadable",
        f"Der Inhalt der Datei ist weder MP3 noch WAV (die Dateiendung allein genügt nicht). {_ACCEPTED_DE}; "
        f"bitte die Musik in einem Audioprogramm als MP3 oder WAV speichern.",
        f"The file's content is neither MP3 nor WAV (the file name extension alone is not enough). "
        f"{_ACCEPTED_EN}; please save the music as MP3 or WAV in an audio program.")


def _unreadable_wav(why_de: str, why_en: str) -> AudioRejected:
    return AudioRejected(
        "unreadable",
        f"Die WAV-Datei ist beschädigt: {why_de}. {_ACCEPTED_DE}; bitte die Datei neu exportieren.",
        f"The WAV file is damaged: {why_en}. {_ACCEPTED_EN}; please export the file again.")


def _unsupported(name: str, **details) -> AudioRejected:
    return AudioRejected(
        "unsupported",
        f"Das Format {name} wird nicht unterstützt. {_ACCEPTED_DE} (WAV mit PCM, A-law oder µ-law); "
        f"bitte die Datei als MP3 oder WAV speichern.",
        f"The format {name} is not supported. {_ACCEPTED_EN} (WAV with PCM, A-law or µ-law); "
        f"please save the file as MP3 or WAV.",
        detected=name, **details)


def _truncated(fmt: str, why_de: str, why_en: str, **details) -> AudioRejected:
    kind = fmt.upper()
    return AudioRejected(
        "truncated",
        f"Die {kind}-Datei ist unvollständig oder beschädigt: {why_de}. Bitte die vollständige Datei hochladen "
        f"oder sie neu als MP3 oder WAV exportieren.",
        f"The {kind} file is incomplete or damaged: {why_en}. Please upload the complete file, or export it "
        f"again as MP3 or WAV.",
        **details)


def _too_long(seconds: float, max_seconds: float) -> AudioRejected:
    return AudioRejected(
        "too_long",
        f"Die Datei ist {_mmss(seconds)} Minuten lang; erlaubt sind höchstens {_mmss(max_seconds)} Minuten.",
        f"The file is {_mmss(seconds)} minutes long; at most {_mmss(max_seconds)} minutes are accepted.",
        seconds=seconds, max_seconds=max_seconds)

"""Audio core of the hold music and announcements feature (§4.1 Wartemusik, Zentrale).

Pure functions, no database and no Flask:

* :func:`inspect` checks an upload by *decoding its content* (never by its file name) and either returns an
  :class:`AudioInfo` or raises :class:`AudioRejected` with a machine ``reason`` and a German and English message
  that says what is wrong and what would be accepted.
* :func:`convert` turns an accepted MP3 or WAV into what the innovaphone PBX plays: headerless raw G.711 A-law
  (the ``.g711a`` file), raw G.711 µ-law (``.g711u``), both 8 kHz mono, and an 8 kHz mono 16-bit PCM WAV for
  listening in the browser.
* :func:`inspect_and_convert` does both with a single decode.

What is accepted, and how a damaged file is told apart, is :mod:`console.media.containers`' business; the
refusals and their wording are in :mod:`console.media.rejections`.

Decoding and resampling are done by ``miniaudio`` (dr_mp3 / dr_wav and its resampler), encoding by ``soundfile``
(libsndfile's A-law / µ-law / PCM writers); numpy does the signal work in between. No codec is written here.

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
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import miniaudio
import numpy as np
import soundfile as sf

from console.media import containers, rejections
from console.media.rejections import REASONS, AudioRejected

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


# --------------------------------------------------------------------------------------------------------------
# Results


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
        raise rejections.empty()
    probe = containers.probe(data)
    pcm = _decode(data, probe)
    return _encode(pcm, normalize=normalize, fade_ms=fade_ms)


def inspect_and_convert(data: bytes, *, max_bytes: int, max_seconds: float, normalize: bool = True,
                        fade_ms: int = 50) -> tuple[AudioInfo, ConvertedAudio]:
    """:func:`inspect` and :func:`convert` with a single decode (for the background job)."""
    info, pcm = _inspect(data, max_bytes=max_bytes, max_seconds=max_seconds)
    return info, _encode(pcm, normalize=normalize, fade_ms=fade_ms)


# --------------------------------------------------------------------------------------------------------------
# Inspection


def _inspect(data: bytes, *, max_bytes: int, max_seconds: float) -> tuple[AudioInfo, np.ndarray]:
    data = bytes(data)
    size = len(data)
    if size == 0:
        raise rejections.empty()
    if size > max_bytes:
        raise rejections.too_large(size, max_bytes)
    probe = containers.probe(data)
    # The headers already tell the length (and the most any decoder can get out of the content): refuse an
    # over-long file before decoding it. The tolerance covers MP3 encoder delay and padding, which the decoder
    # trims.
    if probe.max_seconds - 0.5 > max_seconds:
        raise rejections.too_long(probe.max_seconds, max_seconds)
    pcm = _decode(data, probe)
    duration = len(pcm) / OUTPUT_RATE
    if duration == 0:
        raise rejections.empty(has_header=True)
    if duration < 0.9 * probe.expected_seconds - 0.1:
        raise rejections.truncated(probe.format, "decoded_short", decoded_seconds=duration,
                                   expected_seconds=probe.expected_seconds)
    if duration > max_seconds:
        raise rejections.too_long(duration, max_seconds)
    peak, loudest, gated = _levels(pcm)
    if loudest < SILENCE_DBFS:
        raise rejections.silent(loudest, SILENCE_DBFS)
    info = AudioInfo(format=probe.format, duration_seconds=duration, sample_rate=probe.sample_rate,
                     channels=probe.channels, peak_dbfs=peak, rms_dbfs=gated)
    return info, pcm


# --------------------------------------------------------------------------------------------------------------
# Decoding


def _decode(data: bytes, probe: containers.Probe) -> np.ndarray:
    """8 kHz mono int16 samples. miniaudio decodes with the decoder the content called for and resamples to
    16 kHz; a half-band low-pass here halves that to 8 kHz (an 8 kHz source is decoded at 8 kHz directly).

    The decoder gets a buffer sized from the headers (:attr:`Probe.max_frames`) and nothing more: content that
    would decode to more than its headers allow is refused, so no upload can make a decode allocate beyond what
    its checked length implies."""
    # Via 16 kHz rather than straight to 8 kHz: miniaudio's linear resampler leaves what lies just above 4 kHz in
    # the signal, to fold back into the telephone band. 32 or 64 kHz would be worse: its images of 12-20 kHz
    # content then land in the band less damped (measured; see the module docstring).
    rate = OUTPUT_RATE if probe.sample_rate == OUTPUT_RATE else 16000
    # The resampler may add a few frames at the end; 1 % and a little more is plenty.
    bound = int(probe.max_frames * rate / probe.sample_rate * 1.01) + 4096
    try:
        pcm = _miniaudio_decode(data, probe.format, rate, bound)
    except miniaudio.DecodeError:
        if probe.format == "mp3":
            raise rejections.unreadable() from None
        raise rejections.unreadable_wav("undecodable") from None
    except _BeyondBound:
        raise rejections.damaged(probe.format, "beyond_headers", announced_seconds=probe.max_seconds) from None
    if rate == OUTPUT_RATE:
        return pcm
    x = _halve_rate(pcm.astype(np.float32), _HALFBAND)
    del pcm
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


class _BeyondBound(Exception):
    """The decoder had more to give than the buffer the headers allowed for."""


_CHUNK_FRAMES = 1 << 16


def _miniaudio_decode(data: bytes, fmt: str, rate: int, max_frames: int) -> np.ndarray:
    """Mono SIGNED16 at ``rate`` from miniaudio's decoder for the named container (dr_mp3 / dr_wav: naming it
    keeps miniaudio from trying its others, and dr_mp3 would find "frames" in almost anything), read in chunks
    into one buffer of ``max_frames``; raises :class:`_BeyondBound` if the content holds more."""
    lib, ffi = miniaudio.lib, miniaudio.ffi
    config = lib.ma_decoder_config_init(miniaudio.SampleFormat.SIGNED16.value, 1, rate)
    config.encodingFormat = lib.ma_encoding_format_mp3 if fmt == "mp3" else lib.ma_encoding_format_wav
    config.ditherMode = miniaudio.DitherMode.NONE.value
    decoder = ffi.new("ma_decoder *")
    if lib.ma_decoder_init_memory(data, len(data), ffi.addressof(config), decoder) != lib.MA_SUCCESS:
        raise miniaudio.DecodeError("failed to initialise the decoder")
    try:
        out = np.empty(max_frames + 1, dtype=np.int16)   # one more: to notice content beyond the bound
        base = ffi.cast("int16_t *", ffi.from_buffer(out))
        done = 0
        with ffi.new("ma_uint64 *") as got:
            while done <= max_frames:
                want = min(_CHUNK_FRAMES, max_frames + 1 - done)
                result = lib.ma_decoder_read_pcm_frames(decoder, base + done, want, got)
                done += int(got[0])
                if result == lib.MA_AT_END or int(got[0]) == 0:
                    break
                if result != lib.MA_SUCCESS:
                    raise miniaudio.DecodeError("failed to decode data", result)
        if done > max_frames:
            raise _BeyondBound()
        return out[:done]
    finally:
        lib.ma_decoder_uninit(decoder)


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

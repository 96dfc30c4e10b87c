"""Test audio made in memory: tones, a little tune, noise, silence, as WAV (soundfile) or MP3 (soundfile's
bundled libsndfile, which encodes with LAME), plus a few ways of damaging them.

Signals are float32 arrays of shape (frames, channels) with full scale = 1.0.
"""
from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf


def db_to_amp(dbfs: float) -> float:
    return float(10 ** (dbfs / 20))


def _shape(mono: np.ndarray, channels: int) -> np.ndarray:
    mono = mono.astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def sine(freq: float, seconds: float, rate: int = 44100, channels: int = 1, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return _shape(amplitude * np.sin(2 * np.pi * freq * t), channels)


def silence(seconds: float, rate: int = 44100, channels: int = 1) -> np.ndarray:
    return np.zeros((int(round(seconds * rate)), channels), dtype=np.float32)


def noise(seconds: float, rate: int = 44100, channels: int = 1, amplitude: float = 0.1, seed: int = 1) -> np.ndarray:
    """Uniform white noise with peak ``amplitude``, the same on every channel."""
    rng = np.random.default_rng(seed)
    return _shape(rng.uniform(-amplitude, amplitude, int(round(seconds * rate))), channels)


# A short melody (Hz, beats) - "music-like": notes with harmonics, an envelope and a soft bass line.
_MELODY = [(392.0, 1), (440.0, 1), (493.9, 1), (523.3, 2), (493.9, 1), (440.0, 1), (392.0, 2),
           (329.6, 1), (349.2, 1), (392.0, 2), (440.0, 1), (392.0, 1), (349.2, 1), (329.6, 1), (293.7, 2)]


def tune(seconds: float, rate: int = 44100, channels: int = 1, amplitude: float = 0.5, bpm: float = 120.0,
         max_harmonic_hz: float = 2000.0, seed: int = 7) -> np.ndarray:
    """A repeating melody with harmonics up to ``max_harmonic_hz``, a bass line, and on stereo a slight
    difference between the channels (as in real music). Deterministic for a given seed."""
    n = int(round(seconds * rate))
    out = np.zeros(n, dtype=np.float64)
    beat = 60.0 / bpm
    rng = np.random.default_rng(seed)
    pos = 0
    i = 0
    while pos < n:
        freq, beats = _MELODY[i % len(_MELODY)]
        length = min(int(beats * beat * rate), n - pos)
        t = np.arange(length) / rate
        env = np.minimum(1.0, t / 0.01) * np.exp(-t * 2.5)
        note = np.zeros(length)
        for h in range(1, 8):
            if freq * h > max_harmonic_hz:
                break
            note += (0.6 ** (h - 1)) * np.sin(2 * np.pi * freq * h * t + rng.uniform(0, 2 * np.pi))
        bass = 0.5 * np.sin(2 * np.pi * (freq / 4) * t)
        out[pos:pos + length] = env * note + bass * np.minimum(1.0, t / 0.02)
        pos += length
        i += 1
    out *= amplitude / np.max(np.abs(out))
    if channels == 1:
        return out.astype(np.float32)[:, None]
    # Stereo: right channel slightly delayed and quieter; the mono downmix stays close to the mono tune.
    right = np.concatenate([np.zeros(3), out[:-3]]) * 0.9
    sig = np.stack([out, right] + [out] * (channels - 2), axis=1)
    return sig.astype(np.float32)


def wav_bytes(signal: np.ndarray, rate: int, subtype: str = "PCM_16") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, signal, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def mp3_bytes(signal: np.ndarray, rate: int, *, bitrate_mode: str = "CONSTANT",
              compression_level: float = 0.5) -> bytes:
    """MP3 through libsndfile/LAME; it writes a Xing/Info frame with the gapless (delay/padding) data."""
    buf = io.BytesIO()
    sf.write(buf, signal, rate, format="MP3", bitrate_mode=bitrate_mode, compression_level=compression_level)
    return buf.getvalue()


def other_bytes(signal: np.ndarray, rate: int, fmt: str, subtype: str) -> bytes:
    """Any other container soundfile writes (OGG/VORBIS, FLAC/PCM_16, AIFF/PCM_16, WAV/GSM610, ...)."""
    buf = io.BytesIO()
    sf.write(buf, signal, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


# ---- MP3 frame helpers (independent of the code under test, so the tests do not trust what they test)

_MP3_BITRATES_V1_L3 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_RATES_V1 = (44100, 48000, 32000)


def mp3_frame_offsets(data: bytes) -> list[int]:
    """Offsets of the MPEG-1 Layer III frames of a file written by :func:`mp3_bytes` (no ID3, no free format)."""
    offsets = []
    pos = 0
    while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] & 0xFE == 0xFA:
        br = _MP3_BITRATES_V1_L3[data[pos + 2] >> 4] * 1000
        rate = _MP3_RATES_V1[(data[pos + 2] >> 2) & 3]
        pad = (data[pos + 2] >> 1) & 1
        offsets.append(pos)
        pos += 144 * br // rate + pad
    return offsets


def mp3_without_xing(data: bytes) -> bytes:
    """Drop the first (Xing/Info) frame: a valid MP3 without gapless info, as many encoders write it. The
    decoder then keeps the encoder's delay at the start and its padding at the end."""
    offsets = mp3_frame_offsets(data)
    first = data[offsets[0]:offsets[1]]
    assert b"Xing" in first or b"Info" in first, "expected a Xing/Info frame first"
    return data[offsets[1]:]


def with_id3v2(data: bytes, title: str = "Wartemusik") -> bytes:
    """Prefix an ID3v2.3 tag with a TIT2 (title) frame."""
    text = b"\x00" + title.encode("latin-1")
    frame = b"TIT2" + struct.pack(">I", len(text)) + b"\x00\x00" + text
    body = frame + b"\x00" * 64   # padding, as taggers leave it
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + body + data


def with_id3v1(data: bytes, title: str = "Wartemusik") -> bytes:
    """Append a 128-byte ID3v1 tag."""
    return data + b"TAG" + title.encode("latin-1").ljust(30, b"\x00") + b"\x00" * 95


def wav_with_sizes(data: bytes, *, riff_size: int | None = None, data_size: int | None = None) -> bytes:
    """Rewrite the RIFF size and / or the ``data`` chunk size of a WAV, leaving the bytes as they are."""
    out = bytearray(data)
    if riff_size is not None:
        struct.pack_into("<I", out, 4, riff_size)
    if data_size is not None:
        pos = out.find(b"data", 12)
        struct.pack_into("<I", out, pos + 4, data_size)
    return bytes(out)


# ---- Analysis helpers


def dominant_frequency(x: np.ndarray, rate: int) -> float:
    """The frequency of the largest FFT bin (Hann window, parabolic interpolation)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:])) + 1
    if 1 <= k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1] + 1e-12), np.log(spec[k] + 1e-12), np.log(spec[k + 1] + 1e-12)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return k * rate / len(x)


def rms_dbfs(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(x * x)) + 1e-20))


def align(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Shift ``b`` against ``a`` by the lag (|lag| <= max_lag samples, to a fraction of a sample) with the
    largest cross-correlation and return the overlapping parts and the lag (positive: ``b`` starts later).
    An MP3 without gapless info starts late by the encoder delay, which at 8 kHz is rarely a whole sample."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    xc = np.fft.irfft(np.conj(np.fft.rfft(a, n)) * np.fft.rfft(b, n), n)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    idx = np.concatenate([np.arange(0, max_lag + 1), np.arange(n - max_lag, n)])
    k = int(np.argmax(xc[idx]))
    lag = int(lags[k])
    y0, y1, y2 = xc[(idx[k] - 1) % n], xc[idx[k]], xc[(idx[k] + 1) % n]
    frac = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) if (y0 - 2 * y1 + y2) != 0 else 0.0
    if lag >= 0:
        b = b[lag:]
    else:
        a = a[-lag:]
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    if frac:   # advance b by the fractional part (band-limited shift in the frequency domain)
        f = np.fft.rfftfreq(m)
        b = np.fft.irfft(np.fft.rfft(b) * np.exp(2j * np.pi * f * frac), m)
    return a, b, lag + frac


def wav_with_fmt(data: bytes, **fields) -> bytes:
    """Rewrite fields of a WAV's fmt chunk (tag, channels, rate, byte_rate, block_align, bits), nothing else."""
    out = bytearray(data)
    pos = out.find(b"fmt ", 12) + 8
    names = ("tag", "channels", "rate", "byte_rate", "block_align", "bits")
    values = dict(zip(names, struct.unpack_from("<HHIIHH", out, pos)))
    values.update(fields)
    struct.pack_into("<HHIIHH", out, pos, *(values[n] for n in names))
    return bytes(out)


def wav_with_fact(data: bytes, samples: int) -> bytes:
    """Rewrite the sample count of a WAV's fact chunk (ADPCM WAVs carry one)."""
    out = bytearray(data)
    pos = out.find(b"fact", 12)
    assert pos > 0, "no fact chunk"
    struct.pack_into("<I", out, pos + 8, samples)
    return bytes(out)


def mp3_frame(rate: int, bitrate_kbps: int, mpeg: int = 1) -> bytes:
    """One silent-ish MPEG Layer III frame header plus zero body, mono, no CRC (``mpeg`` 1, 2 or 25 for 2.5)."""
    version_bits = {1: 3, 2: 2, 25: 0}[mpeg]
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}[version_bits]
    table = _MP3_BITRATES_V1_L3 if mpeg == 1 else (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
    b1 = 0xE0 | (version_bits << 3) | (1 << 1) | 1          # layer III, no CRC
    b2 = (table.index(bitrate_kbps) << 4) | (rates.index(rate) << 2)
    b3 = 0xC0                                                 # mono
    length = (144 if mpeg == 1 else 72) * bitrate_kbps * 1000 // rate
    return bytes([0xFF, b1, b2, b3]) + bytes(length - 4)

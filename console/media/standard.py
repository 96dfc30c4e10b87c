"""The standard hold music every PBX plays until it activates its own: made here by code, so it is ours and
royalty-free. A slow progression of soft chords (C – Am – F – G – C – Em – F – G), a gentle arpeggio over it and
a quiet bass, all inside the telephone band, about 32 seconds that loop without a seam."""
from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from console.extensions import db
from console.media import services
from console.media.models import HOLD_MUSIC_SLUG, MediaItem, MediaKind, VersionState

RATE = 16000
CHORD_SECONDS = 4.0
_NOTE = {"C": 261.63, "D": 293.66, "E": 329.63, "F": 349.23, "G": 392.00, "A": 440.00, "B": 493.88}
_PROGRESSION = [("C", "E", "G"), ("A", "C", "E"), ("F", "A", "C"), ("G", "B", "D"),
                ("C", "E", "G"), ("E", "G", "B"), ("F", "A", "C"), ("G", "B", "D")]


def _tone(freq: float, t: np.ndarray, harmonics: int = 4) -> np.ndarray:
    return sum((0.45 ** (h - 1)) * np.sin(2 * np.pi * freq * h * t) for h in range(1, harmonics + 1))


def standard_music(rate: int = RATE) -> np.ndarray:
    """The tune as float32 mono, full scale 1.0. Each chord fades in and out over a second and overlaps its
    neighbours by that much; the last one overlaps the start, so the PBX's loop has no seam and nothing clicks."""
    n = int(CHORD_SECONDS * rate)
    overlap = rate
    length = n + overlap
    t = np.arange(length) / rate
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(overlap) / overlap)
    fade = np.ones(length)
    fade[:overlap], fade[-overlap:] = ramp, ramp[::-1]
    total = n * len(_PROGRESSION)
    out = np.zeros(total)
    step = n // 8
    for i, chord in enumerate(_PROGRESSION):
        freqs = [_NOTE[name] for name in chord]
        pad = sum(_tone(f, t, 3) for f in freqs) * 0.25
        bass = _tone(freqs[0] / 2, t, 5) * np.exp(-t * 0.6) * 0.35
        arp = np.zeros(length)
        for k in range(8):   # eighth notes up and down the chord, an octave higher
            f = freqs[[0, 1, 2, 1, 0, 1, 2, 1][k]] * 2
            tt = t[:length - k * step]
            arp[k * step:] += _tone(f, tt, 2) * np.exp(-tt * 3.0) * np.minimum(1.0, tt / 0.01) * 0.18
        chunk = (pad + bass + arp) * fade
        idx = (i * n + np.arange(length)) % total
        np.add.at(out, idx, chunk)
    out *= 0.5 / np.max(np.abs(out))
    return out.astype(np.float32)


def standard_music_wav() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, standard_music(), RATE, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def ensure_standard_hold_music() -> bool:
    """Create and convert the standard hold music unless it is there (idempotent). Returns whether it made it."""
    item = services.standard_hold_music()
    if item is not None and item.active_version is not None:
        return False
    if item is None:
        item = MediaItem(pbx_id=None, kind=MediaKind.HOLD_MUSIC, name="stimme", slug=HOLD_MUSIC_SLUG)
        db.session.add(item)
        db.session.flush()
    version = next((v for v in item.versions if v.state is VersionState.PENDING), None)
    if version is None:
        version = services.add_version("system", item, standard_music_wav(), "stimme-standard.wav")
    services.convert_version(version)
    return version.state is VersionState.READY

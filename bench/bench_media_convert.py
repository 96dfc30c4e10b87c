"""Benchmark: hold music conversion (console.media.audio.convert) against sox doing the same job.

Builds a 5-minute 44.1 kHz stereo MP3 of a music-like signal, then times
  * convert(): read the MP3, decode once, resample to 8 kHz mono, normalise, fade, write .g711a, .g711u, .wav
  * sox: the same three files, one sox run each (sox decodes the MP3 three times, as a script calling it would):
        sox in.mp3 -r 8000 -c 1 -e a-law   -t raw out.g711a
        sox in.mp3 -r 8000 -c 1 -e u-law   -t raw out.g711u
        sox in.mp3 -r 8000 -c 1 -e signed -b 16  out.wav
and prints absolute seconds (best of several runs) and the ratio. Goal: convert() within 1.5x of sox.

sox with MP3 support comes from the Debian packages sox and libsox-fmt-mp3 (`make bench` installs them);
without it only convert() is timed.
"""
from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from console.media import audio

SECONDS = 300
RATE = 44100
RUNS = 3


def music(seconds: float, rate: int) -> np.ndarray:
    """Chords with harmonics up to about 8 kHz, a bass line, a hi-hat of high-passed noise, slight stereo."""
    rng = np.random.default_rng(2020)
    n = int(seconds * rate)
    beat = 0.5
    bar = int(4 * beat * rate)
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7)]
    ts = np.arange(bar) / rate
    env = np.exp(-ts * 0.8) * np.minimum(1.0, ts / 0.02)
    bars = []
    for root in chords:   # one bar per chord, then repeated: the MP3 encoder does not know
        x = 0.6 * np.sin(2 * np.pi * root[0] / 2 * ts) * np.minimum(1.0, ts / 0.05)
        for f in root:
            for h in range(1, 20):
                if f * h > 8000:
                    break
                x += env * (0.55 ** h) * np.sin(2 * np.pi * f * h * ts + rng.uniform(0, 6.3))
        bars.append(x)
    out = np.tile(np.concatenate(bars), n // (bar * len(chords)) + 1)[:n]
    t = np.arange(n) / rate
    hat = np.diff(rng.standard_normal(n + 1))
    phase = np.mod(t, beat / 2)
    out += 0.15 * hat * (phase < 0.03) * np.exp(-phase * 60)
    out *= 0.7 / np.max(np.abs(out))
    right = np.roll(out, 11) * 0.9
    return np.stack([out, right], axis=1).astype(np.float32)


def best(times: list[float]) -> str:
    return f"best {min(times):.3f} s, median {statistics.median(times):.3f} s"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        tmp = Path(tmp)
        src = tmp / "in.mp3"
        t0 = time.perf_counter()
        buf = io.BytesIO()
        sf.write(buf, music(SECONDS, RATE), RATE, format="MP3", bitrate_mode="CONSTANT", compression_level=0.5)
        src.write_bytes(buf.getvalue())
        print(f"input: {SECONDS // 60} min {RATE} Hz stereo MP3, {src.stat().st_size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - t0:.1f} s)")

        def ours() -> audio.ConvertedAudio:
            out = audio.convert(src.read_bytes())
            (tmp / "ours.g711a").write_bytes(out.g711a)
            (tmp / "ours.g711u").write_bytes(out.g711u)
            (tmp / "ours.wav").write_bytes(out.wav)
            return out

        t0 = time.perf_counter()
        info = audio.inspect(src.read_bytes(), max_bytes=50 * 1024 * 1024, max_seconds=600)
        t_inspect = time.perf_counter() - t0
        ours_times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            result = ours()
            ours_times.append(time.perf_counter() - t0)
        print(f"inspect():  {t_inspect:.3f} s  ({info.format}, {info.duration_seconds:.2f} s, {info.sample_rate} Hz, "
              f"{info.channels} ch)")
        print(f"convert():  {best(ours_times)}  (3 outputs, {result.duration_seconds:.2f} s, "
              f"gain {result.gain_db:+.1f} dB)")

        sox = shutil.which("sox")
        if not sox:
            print("sox: not installed - install the Debian packages 'sox libsox-fmt-mp3' (make bench does) "
                  "to compare; convert() timed only")
            return 0
        formats = subprocess.run([sox, "-h"], capture_output=True, text=True).stdout
        if " mp3" not in formats:
            print("sox: installed without MP3 support - install the Debian package 'libsox-fmt-mp3'; "
                  "convert() timed only")
            return 0
        jobs = [
            ["-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(tmp / "sox.g711a")],
            ["-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", str(tmp / "sox.g711u")],
            ["-r", "8000", "-c", "1", "-e", "signed", "-b", "16", str(tmp / "sox.wav")],
        ]
        sox_times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            for job in jobs:
                subprocess.run([sox, "-q", "-V1", str(src), *job], check=True)
            sox_times.append(time.perf_counter() - t0)
        one = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            subprocess.run([sox, "-q", "-V1", str(src), *jobs[0]], check=True)
            one.append(time.perf_counter() - t0)
        print(f"sox (3 runs): {best(sox_times)}; one output alone (A-law): {best(one)}")
        ratio = min(ours_times) / min(sox_times)
        verdict = "within" if ratio <= 1.5 else "NOT within"
        print(f"ratio convert()/sox: {ratio:.2f}x ({verdict} the 1.5x goal); "
              f"against a single sox run: {min(ours_times) / min(one):.2f}x")

        # Sanity: the same music comes out (sox does not normalise, so compare shapes, not levels).
        a, _ = sf.read(tmp / "ours.wav", dtype="float64")
        b, _ = sf.read(tmp / "sox.wav", dtype="float64")
        # sox (libmad) keeps the encoder delay and plays the Xing frame as silence (about 400 samples at 8 kHz);
        # miniaudio trims both (LAME gapless info): find the lag, then correlate 10 s.
        a10 = a[8000:88000]
        n = 1 << 18
        xc = np.fft.irfft(np.conj(np.fft.rfft(a10, n)) * np.fft.rfft(b[:n // 2], n), n)
        start = 6000 + int(np.argmax(xc[6000:12000]))   # where a[8000:] is found in b
        lag = start - 8000
        corr = np.corrcoef(a10, b[start:start + 80000])[0, 1]
        print(f"check: {len(a)} samples (sox: {len(b)}, {lag} later); correlation with sox over 10 s: {corr:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

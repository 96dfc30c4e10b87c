"""Uploads whose headers lie: judged by their headers before anything is decoded, refused with a clear reason,
and never able to make a decode allocate more than the checked length implies (issue 12, point 8: an 8 KB
IMA-ADPCM WAV "at 5 Hz" took a worker from 218 MB to 958 MB before it was refused).

The crafted files are checked in a child process under an address-space ceiling (RLIMIT_AS), as a worker would
meet them: a decode that tried to allocate hundreds of megabytes fails there instead of passing unnoticed.
"""
from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from console.media import audio, containers
from tests.media import audiogen as ag

PROJECT = Path(__file__).resolve().parents[2]
LIMITS = dict(max_bytes=25 * 1024 * 1024, max_seconds=600.0)
CEILING_MB = 160   # address space the child may add after its imports: far below what the lies would take


def _ima(seconds: float = 2.0, rate: int = 8000) -> bytes:
    return ag.wav_bytes(ag.sine(440, seconds, rate, amplitude=0.4), rate, "IMA_ADPCM")


def _pcm(seconds: float = 3.0, rate: int = 8000) -> bytes:
    return ag.wav_bytes(ag.sine(440, seconds, rate, amplitude=0.4), rate)


def _mixed_mp3() -> bytes:
    """Three 48 kHz frames, then 2 MB of 8 kHz MPEG-2.5 frames (each 72 bytes for 576 samples): the headers of
    the first frame promise 0.07 s, the file holds more than half an hour."""
    head = ag.mp3_frame(48000, 128) * 3
    return head + ag.mp3_frame(8000, 8, mpeg=25) * (2 * 1024 * 1024 // 72)


def _xing_lies(data: bytes) -> bytes:
    out = bytearray(data)
    x = out.find(b"Xing") if b"Xing" in out else out.find(b"Info")
    struct.pack_into(">I", out, x + 8, 0x7FFFFFFF)
    return bytes(out)


# name → (bytes, expected reason, details the refusal must carry)
CASES = {
    "ima_adpcm_at_5_hz": (lambda: ag.wav_with_fmt(_ima(), rate=5, byte_rate=4),
                          "unsupported", {"sample_rate": 5}),
    "pcm_at_1_hz": (lambda: ag.wav_with_fmt(_pcm(), rate=1, byte_rate=2), "unsupported", {"sample_rate": 1}),
    "pcm_with_false_block_align": (lambda: ag.wav_with_fmt(_pcm(), block_align=1000),
                                   "unreadable", {"block_align": 1000, "expected_block_align": 2}),
    "zero_channels": (lambda: ag.wav_with_fmt(_pcm(), channels=0), "unreadable", {"channels": 0}),
    "65535_channels": (lambda: ag.wav_with_fmt(_pcm(), channels=65535), "unsupported", {"channels": 65535}),
    "zero_bits": (lambda: ag.wav_with_fmt(_pcm(), bits=0), "unreadable", {"bits_per_sample": 0}),
    "huge_declared_data_size": (lambda: ag.wav_with_sizes(_pcm(), data_size=0xFFFFFF00),
                                "truncated", {"declared": 0xFFFFFF00}),
    "huge_declared_riff_size": (lambda: ag.wav_with_sizes(_pcm(), riff_size=0xFFFFFFF0),
                                "truncated", {"declared": 0xFFFFFFF0 + 8}),
    "ima_adpcm_with_impossible_block_size": (lambda: ag.wav_with_fmt(_ima(), block_align=3),
                                             "unreadable", {"block_align": 3}),
    "ima_adpcm_fact_claims_more_than_the_data": (lambda: ag.wav_with_fact(_ima(), 10 ** 9),
                                                 "unreadable", {"announced": 10 ** 9}),
    "ima_adpcm_longer_than_allowed": (lambda: _ima(620.0), "too_long", {"max_seconds": 600.0}),
    "mp3_frames_change_rate_midway": (_mixed_mp3, "unreadable", {"first_rate": 48000, "rate": 8000}),
    "mp3_xing_header_announces_2_billion_frames": (
        lambda: _xing_lies(ag.mp3_bytes(ag.sine(440, 2.0, 44100), 44100)), "truncated", {"announced": 0x80000000}),
}

CHILD = r"""
import json, resource, sys
from pathlib import Path
from console.media import audio

def vm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1])

limits = json.loads(sys.argv[2])
ceiling = vm_kb() * 1024 + int(sys.argv[3]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
results = {}
for path in sorted(Path(sys.argv[1]).glob("*.bin")):
    data = path.read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcome = {}
    for call in ("inspect", "convert"):
        try:
            if call == "inspect":
                audio.inspect(data, **limits)
            else:
                audio.convert(data)
            outcome[call] = ["accepted", {}, ""]
        except audio.AudioRejected as exc:
            details = {k: v for k, v in exc.details.items() if isinstance(v, (int, float, str))}
            outcome[call] = [exc.reason, details, exc.message_de + " | " + exc.message_en]
        except BaseException as exc:   # MemoryError above all: what the ceiling is there to catch
            outcome[call] = [type(exc).__name__, {}, str(exc)[:200]]
    outcome["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    results[path.stem] = outcome
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, (make, _reason, _details) in CASES.items():
        (folder / f"{name}.bin").write_bytes(make())
    run = subprocess.run([sys.executable, "-c", CHILD, str(folder), json.dumps(LIMITS), str(CEILING_MB)],
                         cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_lying_header_is_refused_with_its_reason_before_decoding(refusals, name):
    _make, reason, details = CASES[name]
    outcome = refusals[name]
    got_reason, got_details, message = outcome["inspect"]
    assert got_reason == reason, message
    for key, value in details.items():
        assert got_details.get(key) == value, (key, got_details, message)
    # The conversion job refuses it the same way (the length limits are the upload's business).
    if reason != "too_long":
        assert outcome["convert"][0] == reason, outcome["convert"]
    # Judged by its header: the worker's memory does not grow by more than a small file's handling.
    assert outcome["rss_growth_mb"] < 40, outcome


def test_the_messages_say_what_is_wrong_and_what_is_accepted(refusals):
    de, en = refusals["ima_adpcm_at_5_hz"]["inspect"][2].split(" | ")
    assert "5 Hz" in de and "8.000 bis 192.000 Hz" in de
    assert "5 Hz" in en and "8,000 to 192,000 Hz" in en
    de, en = refusals["pcm_with_false_block_align"]["inspect"][2].split(" | ")
    assert "block_align" in de and "1.000" in de and "beschädigt" in de
    de, en = refusals["65535_channels"]["inspect"][2].split(" | ")
    assert "65.535 Kanäle" in de and "höchstens 8" in de and "65,535 channels" in en
    de, _en = refusals["mp3_frames_change_rate_midway"]["inspect"][2].split(" | ")
    assert "48.000 Hz" in de and "8.000 Hz" in de


@pytest.mark.parametrize("subtype", ["IMA_ADPCM", "MS_ADPCM"])
@pytest.mark.parametrize("rate,channels", [(8000, 1), (44100, 2)])
def test_honest_adpcm_is_judged_by_its_header_and_accepted(subtype, rate, channels):
    data = ag.wav_bytes(ag.sine(440, 3.0, rate, channels, amplitude=0.4), rate, subtype)
    probe = containers.probe(data)
    assert probe.max_seconds == pytest.approx(3.0, abs=0.2)   # the header's length: at most one block more
    info = audio.inspect(data, **LIMITS)
    assert info.duration_seconds == pytest.approx(3.0, abs=0.1) and info.channels == channels


def test_content_beyond_what_the_header_allows_is_refused_not_decoded():
    """The last line of defence: the decoder writes into a buffer sized from the header, never past it."""
    data = _pcm(3.0)
    probe = containers.probe(data)
    lying = containers.Probe(probe.format, probe.sample_rate, probe.channels, 1.0, probe.sample_rate)
    with pytest.raises(audio.AudioRejected) as refused:
        audio._decode(data, lying)
    assert refused.value.reason == "unreadable" and refused.value.details["announced_seconds"] == 1.0
    assert len(audio._decode(data, probe)) == pytest.approx(3.0 * 8000, abs=10)

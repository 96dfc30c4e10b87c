"""Uploaded audio, judged by its content before it is decoded: random bytes and small real MP3 and WAV files
(tests/media/audiogen.py) with mutated headers are refused with AudioRejected, or accepted — and then they
decode within the length the checks allowed, in bounded memory."""
from __future__ import annotations

import functools
import struct
import tracemalloc

from hypothesis import example, given, strategies as st

from console.media import audio
from console.media.rejections import AudioRejected
from tests.fuzz.conftest import bounded
from tests.media import audiogen as ag

MAX_SECONDS = 30.0
LIMITS = dict(max_bytes=2 * 1024 * 1024, max_seconds=MAX_SECONDS)
# the decoder's buffer for the longest file the checks let through (16 kHz int16 + the float32 half-band
# copy), with room for numpy's temporaries: a lying header must not get a decode past this
MEMORY_BOUND = 64 * 1024 * 1024


@functools.cache
def seeds() -> tuple[bytes, ...]:
    tone = ag.sine(440, 0.5, 8000, amplitude=0.4)
    return (ag.wav_bytes(tone, 8000), ag.wav_bytes(ag.sine(440, 0.5, 22050, 2), 22050, "PCM_U8"),
            ag.wav_bytes(tone, 8000, "IMA_ADPCM"), ag.wav_bytes(tone, 8000, "ALAW"),
            ag.mp3_bytes(ag.sine(440, 0.5, 16000), 16000), ag.with_id3v2(ag.mp3_bytes(tone, 8000)),
            ag.mp3_frame(48000, 128) * 4)


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    head = min(len(data), 128)   # the headers: RIFF/fmt/data sizes, ID3, the first MPEG frame headers
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, head - 1))
        if draw(st.booleans()):
            data[at] = draw(st.integers(0, 255))
        else:   # a 32-bit field set to an extreme (sizes, rates, sample counts)
            value = draw(st.sampled_from([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 5, 8000, 96000]))
            data[at:at + 4] = struct.pack("<I", value)[:len(data) - at]
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]   # cut off
    return bytes(data)


@given(st.one_of(mutated(), st.binary(max_size=512),
                 st.builds(lambda h, t: h + t, st.sampled_from([b"RIFF", b"ID3", b"\xff\xfb", b"RIFF\x00\x00\x00\x00WAVE"]),
                           st.binary(max_size=256))))
@example(b"")
@example(b"RIFF\xff\xff\xff\xffWAVEfmt ")
@example(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f")
@bounded(200)
def test_audio_is_refused_clearly_or_decodes_within_its_checked_length(data):
    tracemalloc.start()
    try:
        info, converted = audio.inspect_and_convert(data, **LIMITS)
    except AudioRejected as exc:
        assert exc.reason and exc.message_de and exc.message_en
        return
    finally:
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{peak / 1e6:.0f} MB for {len(data)} bytes"
    assert info.format in ("mp3", "wav") and 0 < info.duration_seconds <= MAX_SECONDS
    # what the PBX gets is exactly what was judged: one A-law byte per 8 kHz sample
    assert abs(len(converted.g711a) / 8000 - info.duration_seconds) < 0.01
    assert len(converted.g711u) == len(converted.g711a)

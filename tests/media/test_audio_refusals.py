"""Refusal of every kind of bad hold-music or announcement upload (§4.1 Wartemusik), decided by content before
anything is decoded: empty, too large, not audio, another format, truncated, lying sizes, too long, silent.

All audio is generated in memory by ``audiogen``.
"""
from __future__ import annotations

import numpy as np
import pytest

from console.media import audio
from tests.media import audiogen as ag
from tests.media.checks import LIMITS, MB, rejected

# ---------------------------------------------------------------------------------------------------------
# Refusals


def test_empty_file():
    exc = rejected(b"")
    assert exc.reason == "empty"
    assert "0 Bytes" in exc.message_de and "MP3" in exc.message_de


def test_too_large_is_refused_before_decoding():
    data = ag.wav_bytes(ag.tune(10.0, 44100, 2), 44100)   # about 1.7 MB
    exc = rejected(data, max_bytes=1 * MB)
    assert exc.reason == "too_large"
    assert "1 MB" in exc.message_de and "1,7 MB" in exc.message_de
    assert "1.7 MB" in exc.message_en and "MP3" in exc.message_en


@pytest.mark.parametrize("text", [
    "Liebe Kundin, lieber Kunde,\nbitte haben Sie einen Moment Geduld.\n" * 50,
    "ID3 is what this text pretends to start with, but it is just text.\n" * 20,
    "ÄÖÜ äöü ß – UTF-8 Text\n" * 100,
])
def test_text_renamed_to_mp3_is_unreadable(text):
    file_name = "wartemusik.mp3"   # what the browser would send; inspect() never sees it
    assert file_name.endswith(".mp3")
    exc = rejected(text.encode("utf-8"))
    assert exc.reason == "unreadable"
    assert "weder MP3 noch WAV" in exc.message_de and "neither MP3 nor WAV" in exc.message_en


def test_random_bytes_and_zeros_are_unreadable():
    assert rejected(np.random.default_rng(3).integers(0, 256, 50_000, dtype=np.uint8).tobytes()).reason \
        == "unreadable"
    assert rejected(b"\x00" * 10_000).reason == "unreadable"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert rejected(png).reason == "unreadable"


@pytest.mark.parametrize("fmt,subtype,name", [
    ("OGG", "VORBIS", "Ogg Vorbis"),
    ("FLAC", "PCM_16", "FLAC"),
    ("AIFF", "PCM_16", "AIFF"),
    ("WAV", "GSM610", "GSM 6.10"),
])
def test_other_formats_are_unsupported(fmt, subtype, name):
    data = ag.other_bytes(ag.sine(440, 2.0, 8000), 8000, fmt, subtype)
    exc = rejected(data)
    assert exc.reason == "unsupported"
    assert name in exc.message_de and name in exc.message_en
    assert "MP3" in exc.message_de and "WAV" in exc.message_de


def test_flac_behind_an_id3_tag_is_unsupported():
    data = ag.with_id3v2(ag.other_bytes(ag.sine(440, 1.0, 8000), 8000, "FLAC", "PCM_16"))
    assert rejected(data).reason == "unsupported"


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.77])
def test_truncated_mp3_cut_inside_a_frame(fraction):
    data = ag.mp3_bytes(ag.tune(8.0, 44100, 2), 44100)
    offsets = ag.mp3_frame_offsets(data)
    cut = int(len(data) * fraction)
    if cut in offsets:
        cut += 7
    exc = rejected(data[:cut])
    assert exc.reason == "truncated"
    assert "unvollständig" in exc.message_de and "incomplete" in exc.message_en


def test_truncated_mp3_cut_on_a_frame_boundary_is_caught_by_the_xing_header():
    data = ag.mp3_bytes(ag.tune(8.0, 44100, 2), 44100)
    offsets = ag.mp3_frame_offsets(data)
    exc = rejected(data[:offsets[len(offsets) // 2]])
    assert exc.reason == "truncated"
    assert exc.details["announced"] > exc.details["frames"]


def test_truncated_mp3_without_xing_header():
    data = ag.mp3_without_xing(ag.mp3_bytes(ag.tune(8.0, 44100, 2), 44100))
    offsets = ag.mp3_frame_offsets(data)
    cut = (offsets[len(offsets) // 2] + offsets[len(offsets) // 2 + 1]) // 2   # middle of a frame
    assert rejected(data[:cut]).reason == "truncated"
    # Cut exactly between frames, there is no sign of damage: a shorter, valid MP3.
    assert audio.inspect(data[:offsets[len(offsets) // 2]], **LIMITS).format == "mp3"


def test_truncated_id3_tag():
    data = ag.with_id3v2(ag.mp3_bytes(ag.sine(440, 1.0, 44100), 44100))
    assert rejected(data[:30]).reason == "truncated"


def test_wav_cut_short():
    data = ag.wav_bytes(ag.tune(4.0, 16000), 16000)
    exc = rejected(data[:len(data) // 2])
    assert exc.reason == "truncated"


def test_wav_with_a_data_chunk_claiming_more_than_present():
    data = ag.wav_bytes(ag.tune(4.0, 16000), 16000)
    lying = ag.wav_with_sizes(data, data_size=(len(data) - 44) * 3)
    exc = rejected(lying)
    assert exc.reason == "truncated"
    assert "data" in exc.message_de and "data chunk" in exc.message_en


def test_wav_with_a_riff_size_claiming_more_than_present():
    data = ag.wav_bytes(ag.tune(4.0, 16000), 16000)
    assert rejected(ag.wav_with_sizes(data, riff_size=len(data) * 2)).reason == "truncated"


def test_wav_with_a_riff_size_smaller_than_its_data_chunk():
    data = ag.wav_bytes(ag.tune(4.0, 16000), 16000)
    exc = rejected(ag.wav_with_sizes(data, riff_size=1000))
    assert exc.reason == "truncated"
    assert "RIFF" in exc.message_de


@pytest.mark.parametrize("riff_size,data_size", [(0, None), (4, None), (0xFFFFFFFF, 0xFFFFFFFF), (None, 0)])
def test_wav_with_unset_or_streaming_sizes_is_refused(riff_size, data_size):
    data = ag.wav_bytes(ag.tune(2.0, 16000), 16000)
    exc = rejected(ag.wav_with_sizes(data, riff_size=riff_size, data_size=data_size))
    # (data size 0 with samples behind it: the samples are read as chunk headers with absurd lengths)
    assert exc.reason == "truncated"


def test_wav_with_trailing_bytes_after_the_riff_form_is_accepted():
    data = ag.wav_bytes(ag.tune(2.0, 16000), 16000)
    assert audio.inspect(ag.with_id3v1(data), **LIMITS).duration_seconds == pytest.approx(2.0, rel=0.01)


def test_wav_with_no_samples_is_empty():
    data = ag.wav_bytes(ag.silence(0.0, 8000), 8000)
    assert rejected(data).reason == "empty"


def test_over_long_file_names_both_lengths():
    # 12:30 minutes at 8 kHz A-law: 6 MB, refused from the header without decoding.
    data = ag.wav_bytes(ag.sine(440, 750.0, 8000, amplitude=0.3), 8000, "ALAW")
    exc = rejected(data, max_seconds=600)
    assert exc.reason == "too_long"
    assert exc.message_de == "Die Datei ist 12:30 Minuten lang; erlaubt sind höchstens 10:00 Minuten."
    assert exc.message_en == "The file is 12:30 minutes long; at most 10:00 minutes are accepted."


def test_over_long_mp3():
    data = ag.mp3_bytes(ag.tune(20.0, 22050), 22050)
    exc = rejected(data, max_seconds=15)
    assert exc.reason == "too_long"
    assert "0:20" in exc.message_de and "0:15" in exc.message_de
    assert audio.inspect(data, max_bytes=20 * MB, max_seconds=20.0).duration_seconds == pytest.approx(20, rel=0.01)


@pytest.mark.parametrize("make", [
    lambda: ag.wav_bytes(ag.silence(5.0, 44100, 2), 44100),
    lambda: ag.mp3_bytes(ag.silence(5.0, 44100, 2), 44100),
    lambda: ag.wav_bytes(ag.noise(5.0, 16000, amplitude=ag.db_to_amp(-75)), 16000, "FLOAT"),
    lambda: ag.wav_bytes(ag.sine(440, 5.0, 16000, amplitude=ag.db_to_amp(-66)), 16000, "PCM_24"),
], ids=["digital-silence-wav", "digital-silence-mp3", "noise-at-75dBFS", "tone-at-66dBFS"])
def test_silent_files(make):
    exc = rejected(make())
    assert exc.reason == "silent"
    assert "hörbar" in exc.message_de and "audible" in exc.message_en


def test_quiet_but_audible_is_accepted():
    data = ag.wav_bytes(ag.sine(440, 3.0, 16000, amplitude=ag.db_to_amp(-50)), 16000)
    info = audio.inspect(data, **LIMITS)
    assert info.peak_dbfs == pytest.approx(-50, abs=1)


def test_convert_refuses_what_is_not_audio():
    with pytest.raises(audio.AudioRejected) as info:
        audio.convert(b"not audio at all" * 100)
    assert info.value.reason == "unreadable"
    with pytest.raises(audio.AudioRejected) as info:
        audio.convert(b"")
    assert info.value.reason == "empty"


def test_rejection_object_is_a_code_and_parameters_worded_by_the_catalogue():
    exc = audio.AudioRejected("silent", "silent", loudest_dbfs=-80.0, silence_dbfs=-50.0)
    assert (exc.code, exc.details) == ("silent", {"loudest_dbfs": -80.0, "silence_dbfs": -50.0})
    assert "lauteste Stelle -80 dBFS" in exc.message("de-DE")
    assert "loudest passage -80 dBFS" in exc.message("en") and exc.message("fr") == exc.message("en")
    assert "silent" in str(exc)
    with pytest.raises(ValueError):
        audio.AudioRejected("bogus", "silent")
    with pytest.raises(ValueError):
        audio.AudioRejected("silent", "no such message")


def test_damaged_files_never_raise_anything_but_audio_rejected():
    """Flipped bytes, cuts and inserted junk: inspect() and convert() answer or refuse, nothing else."""
    rng = np.random.default_rng(2020)
    bases = [
        ag.mp3_bytes(ag.tune(1.0, 44100, 2), 44100),
        ag.mp3_without_xing(ag.mp3_bytes(ag.tune(1.0, 32000, 1), 32000)),
        ag.with_id3v2(ag.mp3_bytes(ag.tune(1.0, 48000), 48000)),
        ag.wav_bytes(ag.tune(1.0, 16000), 16000),
        ag.wav_bytes(ag.tune(1.0, 8000, 2), 8000, "ALAW"),
    ]
    for i in range(300):
        d = bytearray(bases[i % len(bases)])
        kind = i % 4
        if kind == 0:     # bytes anywhere
            for _ in range(int(rng.integers(1, 20))):
                d[int(rng.integers(0, len(d)))] = int(rng.integers(0, 256))
        elif kind == 1:   # cut
            d = d[:int(rng.integers(0, len(d)))]
        elif kind == 2:   # header bytes
            for _ in range(int(rng.integers(1, 5))):
                d[int(rng.integers(0, min(len(d), 200)))] = int(rng.integers(0, 256))
        else:             # junk inserted
            p = int(rng.integers(0, len(d)))
            d = d[:p] + rng.integers(0, 256, int(rng.integers(1, 3000)), dtype=np.uint8).tobytes() + d[p:]
        try:
            audio.inspect(bytes(d), **LIMITS)
            out = audio.convert(bytes(d))
            assert len(out.g711a) == len(out.g711u) == round(out.duration_seconds * 8000)
        except audio.AudioRejected as exc:
            assert exc.reason in audio.REASONS

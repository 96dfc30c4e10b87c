"""The hold music / announcement audio core (§4.1 Wartemusik): inspection by content, conversion to the
innovaphone's headerless G.711 files and an 8 kHz WAV, and the refusal of every kind of bad upload.

All audio is generated in memory by ``audiogen``; results are checked by decoding the outputs again with
soundfile (libsndfile), independently of the code under test.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from console.media import audio
from tests.media import audiogen as ag
from tests.media.checks import LIMITS, MB, rejected

def read_raw(raw: bytes, subtype: str) -> np.ndarray:
    x, rate = sf.read(io.BytesIO(raw), format="RAW", subtype=subtype, samplerate=8000, channels=1,
                      dtype="float64")
    assert rate == 8000
    return x


# ---------------------------------------------------------------------------------------------------------
# Inspection of good files


@pytest.mark.parametrize("rate,channels", [(8000, 1), (16000, 1), (44100, 2), (48000, 2)])
def test_inspect_wav(rate, channels):
    data = ag.wav_bytes(ag.sine(440, 3.0, rate, channels), rate)
    info = audio.inspect(data, **LIMITS)
    assert info.format == "wav"
    assert info.sample_rate == rate
    assert info.channels == channels
    assert info.duration_seconds == pytest.approx(3.0, rel=0.01)


@pytest.mark.parametrize("rate,channels", [(44100, 2), (48000, 1), (22050, 1), (16000, 2)])
def test_inspect_mp3(rate, channels):
    data = ag.mp3_bytes(ag.sine(440, 4.0, rate, channels), rate)
    info = audio.inspect(data, **LIMITS)
    assert info.format == "mp3"
    assert info.sample_rate == rate
    assert info.channels == channels
    # libsndfile/LAME writes the gapless info, so the decoder trims encoder delay and padding exactly.
    assert info.duration_seconds == pytest.approx(4.0, rel=0.01)


def test_inspect_mp3_without_gapless_header_keeps_encoder_delay_only():
    data = ag.mp3_without_xing(ag.mp3_bytes(ag.sine(440, 10.0, 44100, 2), 44100))
    info = audio.inspect(data, **LIMITS)
    assert info.format == "mp3" and info.sample_rate == 44100 and info.channels == 2
    # Encoder delay + padding: at most two frames of 1152 samples longer than the signal.
    assert 10.0 <= info.duration_seconds <= 10.0 + 2 * 1152 / 44100 + 0.001


def test_mp3_with_id3_tags_and_float_and_alaw_wav_are_accepted():
    mp3 = ag.mp3_bytes(ag.sine(440, 2.0, 44100, 2), 44100)
    assert audio.inspect(ag.with_id3v1(ag.with_id3v2(mp3)), **LIMITS).format == "mp3"
    for subtype in ("FLOAT", "PCM_24", "ALAW", "ULAW", "PCM_U8"):
        info = audio.inspect(ag.wav_bytes(ag.sine(440, 2.0, 8000), 8000, subtype), **LIMITS)
        assert info.format == "wav" and info.duration_seconds == pytest.approx(2.0, rel=0.01), subtype


def test_format_comes_from_content_not_name():
    # The function gets bytes only; a WAV "called" .mp3 is a WAV, an MP3 "called" .wav an MP3.
    assert audio.inspect(ag.wav_bytes(ag.sine(440, 1.0, 8000), 8000), **LIMITS).format == "wav"
    assert audio.inspect(ag.mp3_bytes(ag.sine(440, 1.0, 44100), 44100), **LIMITS).format == "mp3"


# ---------------------------------------------------------------------------------------------------------
# Conversion


SOURCES = {
    "wav-8k-mono": lambda s: ag.wav_bytes(s(8000, 1), 8000),
    "wav-16k-mono": lambda s: ag.wav_bytes(s(16000, 1), 16000),
    "wav-44k1-stereo": lambda s: ag.wav_bytes(s(44100, 2), 44100),
    "wav-48k-stereo-float": lambda s: ag.wav_bytes(s(48000, 2), 48000, "FLOAT"),
    "mp3-44k1-stereo": lambda s: ag.mp3_bytes(s(44100, 2), 44100),
    "mp3-22k05-mono": lambda s: ag.mp3_bytes(s(22050, 1), 22050),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("freq", [440.0, 1234.0])
def test_convert_produces_valid_g711_and_wav_with_the_tone(source, freq):
    data = SOURCES[source](lambda rate, ch: ag.sine(freq, 3.0, rate, ch, amplitude=0.4))
    info = audio.inspect(data, **LIMITS)
    out = audio.convert(data)

    assert out.sample_rate == 8000
    assert out.duration_seconds == pytest.approx(info.duration_seconds, rel=0.01)
    assert out.duration_seconds == pytest.approx(3.0, rel=0.01)
    frames = round(out.duration_seconds * 8000)
    # Headerless: one byte per sample, nothing else.
    assert len(out.g711a) == frames and len(out.g711u) == frames

    for raw, subtype in ((out.g711a, "ALAW"), (out.g711u, "ULAW")):
        x = read_raw(raw, subtype)
        assert len(x) == frames
        assert abs(ag.dominant_frequency(x, 8000) - freq) < 3.0, subtype
        assert -20.0 < ag.rms_dbfs(x) < -12.0, subtype   # normalised to about -16 dBFS

    wav_info = sf.info(io.BytesIO(out.wav))
    assert (wav_info.format, wav_info.subtype) == ("WAV", "PCM_16")
    assert wav_info.samplerate == 8000 and wav_info.channels == 1
    assert wav_info.frames == frames
    assert out.wav[:4] == b"RIFF" and out.wav[8:12] == b"WAVE"

    # The three outputs carry the same signal (A-law and µ-law within their quantisation).
    pcm, _ = sf.read(io.BytesIO(out.wav), dtype="float64")
    for raw, subtype in ((out.g711a, "ALAW"), (out.g711u, "ULAW")):
        x = read_raw(raw, subtype)
        assert np.corrcoef(pcm, x)[0, 1] > 0.999
        assert ag.rms_dbfs(x - pcm) < ag.rms_dbfs(pcm) - 30


def test_g711_is_what_libsndfile_encodes_from_the_wav():
    """The raw files are plain G.711 of the 16-bit signal: re-encoding the WAV gives the same bytes."""
    out = audio.convert(ag.wav_bytes(ag.tune(3.0, 16000), 16000))
    pcm, _ = sf.read(io.BytesIO(out.wav), dtype="int16")
    for raw, subtype in ((out.g711a, "ALAW"), (out.g711u, "ULAW")):
        buf = io.BytesIO()
        sf.write(buf, pcm, 8000, format="RAW", subtype=subtype)
        assert buf.getvalue() == raw


def test_mp3_44k1_stereo_and_wav_16k_mono_of_the_same_tune_give_the_same_result():
    seconds = 12.0
    mp3 = ag.mp3_bytes(ag.tune(seconds, 44100, 2), 44100)
    wav = ag.wav_bytes(ag.tune(seconds, 16000, 1), 16000)
    a = read_raw(audio.convert(wav).g711a, "ALAW")
    b = read_raw(audio.convert(mp3).g711a, "ALAW")
    assert len(b) == pytest.approx(len(a), rel=0.01)
    a, b, lag = ag.align(a, b, max_lag=800)
    assert abs(lag) <= 2   # gapless MP3: no encoder delay left
    assert np.corrcoef(a, b)[0, 1] > 0.99
    assert abs(ag.rms_dbfs(a) - ag.rms_dbfs(b)) < 0.5
    assert ag.rms_dbfs(a - b) < ag.rms_dbfs(a) - 20


def test_mp3_without_gapless_header_matches_after_aligning_the_encoder_delay():
    seconds = 12.0
    mp3 = ag.mp3_without_xing(ag.mp3_bytes(ag.tune(seconds, 44100, 2), 44100))
    wav = ag.wav_bytes(ag.tune(seconds, 16000, 1), 16000)
    a = read_raw(audio.convert(wav).g711a, "ALAW")
    b = read_raw(audio.convert(mp3).g711a, "ALAW")
    a, b, lag = ag.align(a, b, max_lag=800)
    assert 100 <= lag <= 600   # LAME's delay (576 + 529 samples at 44.1 kHz is about 200 at 8 kHz)
    assert np.corrcoef(a, b)[0, 1] > 0.99


def test_output_duration_within_one_percent_for_odd_lengths():
    for seconds, rate in ((0.73, 44100), (7.31, 11025), (61.7, 48000)):
        data = ag.wav_bytes(ag.tune(seconds, rate), rate)
        out = audio.convert(data)
        assert out.duration_seconds == pytest.approx(seconds, rel=0.01)
        assert len(out.g711a) == round(out.duration_seconds * 8000)


def test_normalisation_makes_a_quiet_tone_louder():
    quiet = ag.wav_bytes(ag.sine(440, 3.0, 16000, amplitude=ag.db_to_amp(-40)), 16000)   # RMS about -43 dBFS
    plain = read_raw(audio.convert(quiet, normalize=False).g711a, "ALAW")
    louder = audio.convert(quiet)
    x = read_raw(louder.g711a, "ALAW")
    assert ag.rms_dbfs(plain) == pytest.approx(-43.0, abs=1.0)
    assert ag.rms_dbfs(x) == pytest.approx(audio.TARGET_RMS_DBFS, abs=1.0)
    assert louder.gain_db == pytest.approx(27.0, abs=1.0)
    assert abs(ag.dominant_frequency(x, 8000) - 440) < 3


def test_normalisation_turns_a_loud_file_down_and_keeps_peaks_below_the_ceiling():
    loud = ag.wav_bytes(ag.sine(440, 3.0, 16000, amplitude=0.99), 16000)
    x = read_raw(audio.convert(loud).g711u, "ULAW")
    assert ag.rms_dbfs(x) == pytest.approx(audio.TARGET_RMS_DBFS, abs=1.0)

    # A quiet bed with a few loud clicks: the peak, not the RMS target, limits the gain.
    sig = ag.sine(300, 4.0, 8000, amplitude=ag.db_to_amp(-40))
    sig[8000::8000] = 0.5
    out = audio.convert(ag.wav_bytes(sig, 8000, "FLOAT"))
    pcm, _ = sf.read(io.BytesIO(out.wav), dtype="float64")
    peak_db = 20 * np.log10(np.max(np.abs(pcm)))
    assert peak_db <= audio.PEAK_CEILING_DBFS + 0.1
    assert peak_db > audio.PEAK_CEILING_DBFS - 0.5
    assert ag.rms_dbfs(pcm) < audio.TARGET_RMS_DBFS - 3


def test_pauses_do_not_count_in_the_loudness():
    # 2 s of tone at -20 dBFS RMS and 8 s of silence: the gain is set by the tone, not by the long pause.
    tone = ag.sine(440, 2.0, 8000, amplitude=ag.db_to_amp(-17))
    sig = np.concatenate([tone, ag.silence(8.0, 8000)])
    out = audio.convert(ag.wav_bytes(sig, 8000))
    x = read_raw(out.g711a, "ALAW")
    assert ag.rms_dbfs(x[:16000]) == pytest.approx(audio.TARGET_RMS_DBFS, abs=1.0)


def test_fade_in_and_out():
    data = ag.wav_bytes(ag.sine(440, 2.0, 8000, amplitude=0.5), 8000)
    pcm, _ = sf.read(io.BytesIO(audio.convert(data, fade_ms=50).wav), dtype="float64")
    fade = 400   # 50 ms at 8 kHz
    assert np.max(np.abs(pcm[:20])) < 0.01 and np.max(np.abs(pcm[-20:])) < 0.01
    assert np.max(np.abs(pcm[:fade // 4])) < np.max(np.abs(pcm[fade:2 * fade])) / 2
    assert np.max(np.abs(pcm[fade:-fade])) > 0.5 * np.max(np.abs(pcm))
    no_fade, _ = sf.read(io.BytesIO(audio.convert(data, fade_ms=0, normalize=False).wav), dtype="float64")
    assert np.max(np.abs(no_fade[:40])) > 0.2


def test_inspect_and_convert_decodes_once_and_agrees():
    data = ag.mp3_bytes(ag.tune(5.0, 44100, 2), 44100)
    info, out = audio.inspect_and_convert(data, **LIMITS)
    assert info == audio.inspect(data, **LIMITS)
    assert out.g711a == audio.convert(data).g711a
    assert out.duration_seconds == pytest.approx(info.duration_seconds, abs=1e-9)


# How far below a 1 kHz tone of the same level the loudest in-band product of a 4.5-8 kHz tone lies, at least.
# miniaudio straight to 8 kHz managed 6 dB (44.1, 48 kHz) and 8 dB (16, 22.05 kHz). What remains at 22.05 kHz
# are images of miniaudio's linear interpolation (8 kHz comes back at 1.95 kHz), which no filter after it can
# separate.
FOLD_MARGIN_DB = {44100: 30, 48000: 60, 16000: 60, 22050: 15}


@pytest.mark.parametrize("rate", sorted(FOLD_MARGIN_DB))
@pytest.mark.parametrize("freq", [4500.0, 5000.0, 6000.0, 8000.0])
def test_content_above_4_khz_does_not_fold_back_into_the_telephone_band(rate, freq):
    def in_band_peak(data: bytes) -> float:
        x, _ = sf.read(io.BytesIO(audio.convert(data, normalize=False, fade_ms=0).wav), dtype="float64")
        spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        f = np.fft.rfftfreq(len(x), 1 / 8000)
        return 20 * np.log10(spec[(f > 200) & (f < 3600)].max() + 1e-12)

    reference = in_band_peak(ag.wav_bytes(ag.sine(1000, 1.0, rate, amplitude=0.4), rate))
    folded = in_band_peak(ag.wav_bytes(ag.sine(freq, 1.0, rate, amplitude=0.4), rate))
    assert folded < reference - FOLD_MARGIN_DB[rate]

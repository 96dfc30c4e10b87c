"""The containers an upload may come in: MP3 and WAV, recognised and checked by their bytes (§4.1).

:func:`probe` identifies the content, checks its structure without decoding the audio, and says what the
headers promise; anything else raises :class:`~console.media.rejections.AudioRejected`.

What is accepted
    MP3 (MPEG-1/2/2.5 Layer III, optionally with ID3 tags) and RIFF WAV with PCM (8-32 bit), IEEE float, A-law,
    µ-law, MS ADPCM or IMA ADPCM content. Everything else (Ogg, FLAC, AIFF, AAC/M4A, MP2, GSM-WAV, RF64, ...) is
    ``unsupported``; content that is no audio file at all (a text file renamed to ``.mp3``) is ``unreadable``.

How a damaged file is recognised
    *MP3*: the frame headers are walked (console.media.mp3); a last frame that ends beyond the end of the data, a Xing/Info or VBRI
    header that announces more frames than present, an ID3v2 tag longer than the file, or a decode that yields much
    less audio than the frame headers promise, means ``truncated``. (An MP3 cut exactly on a frame boundary and
    without a Xing header is a valid, shorter MP3 and cannot be told apart.)
    *WAV*: the RIFF chunk list is walked; a RIFF size or a chunk size (notably ``data``) that claims more bytes than
    the file holds, or a ``data`` chunk reaching past the declared RIFF end, means ``truncated``. Bytes after the
    declared RIFF end (some taggers append an ID3 tag there) are ignored.

How a lying header is refused (before any decoding)
    The headers decide how long the audio is and so what a decode may allocate: a header that does not add up is
    refused, not decoded. A sample rate outside 8-192 kHz or more than 8 channels is ``unsupported``; 0 channels,
    bits per sample the codec cannot have, a ``block_align`` other than channels × bytes per sample (PCM, float,
    A-law, µ-law), an ADPCM block size the codec cannot have, or a ``fact`` chunk announcing more samples than the
    ``data`` chunk holds is ``unreadable``; MP3 frames that change rate or layer midway are ``unreadable`` too.
    :attr:`Probe.max_frames` is the most audio the content can hold; the decoder gets a buffer of that size and
    content beyond it is refused (console.media.audio).

Not recognised
    Free-format MP3 (no bitrate in the frame headers) is refused as ``unreadable``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from console.media import mp3, rejections


#: What an upload's headers may declare: anything else is refused before decoding (a 5 Hz header would make a
#: few kilobytes decode into hours at 16 kHz; 65,535 channels into a channel mixer of that size).
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 192000
MAX_CHANNELS = 8


@dataclass
class Probe:
    """What the headers say, before any decoding."""
    format: str
    sample_rate: int
    channels: int
    expected_seconds: float   # what the headers promise (for ADPCM WAV the fact chunk, if there is one)
    max_frames: int           # the most source frames a decoder can get out of the content: bounds its output
    format_tag: int = 0       # WAV only

    @property
    def max_seconds(self) -> float:
        return self.max_frames / self.sample_rate


def probe(data: bytes) -> Probe:
    """Identify the content and check its structure, without decoding the audio."""
    head = data[:16]
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _probe_wav(data)
    other = _other_format(data, 0)
    if other:
        raise rejections.unsupported(other)
    if head[:4] in (b"RIFX", b"RF64", b"BW64") or head[:4] == b"RIFF":
        raise rejections.unsupported({b"RIFX": "RIFX (big-endian WAV)", b"RF64": "RF64", b"BW64": "BW64"}.get(
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


def _probe_wav(data: bytes) -> Probe:
    n = len(data)
    if n < 12:
        raise rejections.truncated("wav", "header_cut")
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    # A missing pad byte after an odd-sized last chunk is tolerated.
    if riff_end > n + 1:
        raise rejections.truncated("wav", "riff_longer", declared=riff_end, actual=n)
    limit = min(riff_end, n)
    pos = 12
    fmt = None
    data_size = None
    fact = None
    while pos + 8 <= limit:
        cid = data[pos:pos + 4]
        csize = struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        end = body + csize
        if end > limit:
            name = cid.decode("latin-1", "replace").strip()
            why = "data_short" if cid == b"data" else "chunk_long"
            present = max(0, min(n, riff_end) - body)
            if end > n:
                raise rejections.truncated("wav", why, chunk=name, declared=csize, actual=n - body, present=present)
            raise rejections.truncated("wav", f"{why}_riff", chunk=name, declared=csize, present=present)
        if cid == b"fmt " and fmt is None:
            if csize < 16:
                raise rejections.unreadable_wav("fmt_short")
            tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", data, body)
            if tag == 0xFFFE and csize >= 40:
                tag = struct.unpack_from("<H", data, body + 24)[0]
            fmt = (tag, channels, rate, block_align, bits)
        elif cid == b"data" and data_size is None:   # the decoder plays the first one
            data_size = csize
        elif cid == b"fact" and csize >= 4 and fact is None:
            fact = struct.unpack_from("<I", data, body)[0]
        pos = end + (csize & 1)
    if fmt is None or data_size is None:
        missing = "fmt" if fmt is None else "data"
        if riff_end < n and data.find(b"data" if fmt is not None else b"fmt ", riff_end) >= 0:
            raise rejections.truncated("wav", "riff_wrong", declared=riff_end, actual=n)
        raise rejections.unreadable_wav("chunk_missing", chunk=missing)
    tag, channels, rate, block_align, bits = fmt
    if tag not in _WAV_CODECS:
        codec = _WAV_CODEC_NAMES.get(tag, f"0x{tag:04X}")
        raise rejections.unsupported(f"WAV ({codec})", wav_codec=tag)
    if channels < 1 or rate < 1 or block_align < 1:
        raise rejections.unreadable_wav("fmt_invalid", channels=channels, sample_rate=rate,
                                        block_align=block_align)
    if channels > MAX_CHANNELS:
        raise rejections.channels(channels, MAX_CHANNELS)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise rejections.sample_rate(rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE)
    if data_size == 0:
        raise rejections.empty(has_header=True)
    max_frames, expected_frames = _wav_frames(tag, channels, block_align, bits, data_size, fact)
    return Probe("wav", rate, channels, expected_frames / rate, max_frames, format_tag=tag)


#: Bits per sample each WAV codec may declare.
_WAV_BITS = {1: range(8, 33), 3: (32, 64), 6: (8,), 7: (8,), 2: (4,), 0x11: (4,)}


def _wav_frames(tag: int, channels: int, block_align: int, bits: int, data_size: int,
                fact: int | None) -> tuple[int, int]:
    """(the most frames the data chunk can hold, the frames the headers promise), after checking that the fmt
    chunk agrees with itself: a false ``block_align`` would make the length judged here differ from what the
    decoder produces."""
    codec = _WAV_CODECS[tag]
    if bits not in _WAV_BITS[tag]:
        raise rejections.unreadable_wav("bits", bits_per_sample=bits, codec=codec)
    if tag in (1, 3, 6, 7):
        frame_bytes = channels * ((bits + 7) // 8)
        if block_align != frame_bytes:
            raise rejections.unreadable_wav("block_align", block_align=block_align, channels=channels,
                                            bits_per_sample=bits, expected_block_align=frame_bytes)
        frames = data_size // block_align
        return frames, frames
    # ADPCM: a block is a header per channel (IMA 4 bytes, MS 7) and then 4-bit samples.
    header = (4 if tag == 0x11 else 7) * channels
    if block_align <= header or (tag == 0x11 and (block_align - header) % (4 * channels)):
        raise rejections.unreadable_wav("block_size", block_align=block_align, codec=codec, channels=channels)

    def samples(block_bytes: int) -> int:
        if block_bytes <= header:
            return 0
        return (block_bytes - header) * 2 // channels + (1 if tag == 0x11 else 2)

    full, rest = divmod(data_size, block_align)
    frames = full * samples(block_align) + samples(rest)
    if fact is not None and fact > frames:
        raise rejections.unreadable_wav("fact", announced=fact, possible=frames)
    return frames, (fact if fact is not None else frames)


# ---- MP3 (the frame walk is in console.media.mp3)

def _probe_mp3(data: bytes) -> Probe:
    start = mp3.skip_id3v2(data, 0)
    other = _other_format(data, start) if start else None
    if other:
        raise rejections.unsupported(other)
    rate, channels, samples = mp3.walk(data, start)
    return Probe("mp3", rate, channels, samples / rate, samples)

"""The containers an upload may come in: MP3 and WAV, recognised and checked by their bytes (§4.1).

:func:`probe` identifies the content, checks its structure without decoding the audio, and says what the
headers promise; anything else raises :class:`~console.media.rejections.AudioRejected`.

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

Not recognised
    Free-format MP3 (no bitrate in the frame headers) is refused as ``unreadable``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from console.media import rejections


@dataclass
class Probe:
    """What the headers say, before any decoding."""
    format: str
    sample_rate: int
    channels: int
    expected_seconds: float | None   # what the headers promise, None when unknown (ADPCM WAV)
    format_tag: int = 0              # WAV only


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
        raise rejections.truncated("wav", "die Datei endet im Dateikopf", "the file ends inside its header")
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    # A missing pad byte after an odd-sized last chunk is tolerated.
    if riff_end > n + 1:
        raise rejections.truncated(
            "wav", f"der Dateikopf (RIFF) gibt {rejections.int_de(riff_end)} Bytes an, "
                   f"die Datei hat aber nur {rejections.int_de(n)}",
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
                what_de = f"der data-Block gibt {rejections.int_de(csize)} Bytes Audiodaten an, vorhanden sind nur " \
                          f"{rejections.int_de(max(0, min(n, riff_end) - body))}"
                what_en = f"the data chunk announces {csize:,} bytes of audio but only " \
                          f"{max(0, min(n, riff_end) - body):,} are present"
            else:
                what_de = f"der Block „{name}“ ist länger als die Datei"
                what_en = f"the chunk '{name}' is longer than the file"
            if end > n:
                raise rejections.truncated("wav", what_de, what_en, chunk=name, declared=csize, actual=n - body)
            raise rejections.truncated("wav", what_de + " (die RIFF-Längenangabe ist falsch)",
                             what_en + " (the RIFF length is wrong)", chunk=name, declared=csize)
        if cid == b"fmt ":
            if csize < 16:
                raise rejections.unreadable_wav("der fmt-Block ist zu kurz", "the fmt chunk is too short")
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
            raise rejections.truncated(
                "wav", f"die RIFF-Längenangabe ({rejections.int_de(riff_end)} Bytes) ist falsch, "
                       f"die Datei hat {rejections.int_de(n)}",
                f"the RIFF length ({riff_end:,} bytes) is wrong, the file has {n:,}", declared=riff_end, actual=n)
        raise rejections.unreadable_wav(f"der {missing}-Block fehlt", f"the {missing} chunk is missing")
    tag, channels, rate, block_align, bits = fmt
    if tag not in _WAV_CODECS:
        codec = _WAV_CODEC_NAMES.get(tag, f"0x{tag:04X}")
        raise rejections.unsupported(f"WAV ({codec})", wav_codec=tag)
    if channels < 1 or rate < 1 or block_align < 1:
        raise rejections.unreadable_wav("der fmt-Block ist ungültig", "the fmt chunk is invalid")
    if data_size == 0:
        raise rejections.empty(has_header=True)
    if tag in (1, 3, 6, 7):
        expected = data_size // block_align / rate
    else:   # ADPCM: samples per block depend on the codec; leave the check to the decoder
        expected = None
    return Probe("wav", rate, channels, expected, format_tag=tag)


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
            raise rejections.truncated("mp3", "die Datei endet im ID3-Tag", "the file ends inside its ID3 tag")
        version, flags = data[pos + 3], data[pos + 5]
        s = data[pos + 6:pos + 10]
        if version not in (2, 3, 4) or data[pos + 4] == 0xFF or flags & 0x0F or any(b & 0x80 for b in s):
            return pos   # not a valid ID3v2 header: let the frame search decide
        size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3]
        end = pos + 10 + size + (10 if flags & 0x10 else 0)
        if end > len(data):
            raise rejections.truncated("mp3", "die Datei endet im ID3-Tag (Titelinformationen)",
                             "the file ends inside its ID3 tag (title information)",
                             declared=end, actual=len(data))
        pos = end
    return pos


def _probe_mp3(data: bytes) -> Probe:
    n = len(data)
    start = _skip_id3v2(data, 0)
    other = _other_format(data, start) if start else None
    if other:
        raise rejections.unsupported(other)
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
        raise rejections.unreadable()
    if first.layer != 3:
        raise rejections.unsupported(f"MPEG Layer {'I' * first.layer} (MP{first.layer})")

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
            raise rejections.truncated(
                "mp3",
                f"der letzte MP3-Frame bricht ab ({rejections.int_de(missing)} Bytes fehlen)",
                f"the last MP3 frame is cut off ({missing:,} bytes missing)",
                frames=frames, missing_bytes=missing)
        frames += 1
        samples += f.samples
        pos += f.length
    rest = data[pos:]
    if rest and len(rest) < 4 and rest[0] == 0xFF:
        raise rejections.truncated("mp3", "die Datei endet mitten in einem MP3-Frame-Kopf",
                         "the file ends inside an MP3 frame header")
    if announced is not None and frames < announced - 1:   # encoders differ on counting the header frame
        raise rejections.truncated(
            "mp3",
            f"der Dateikopf kündigt {rejections.int_de(announced)} MP3-Frames an, "
            f"vorhanden sind nur {rejections.int_de(frames - 1)}",
            f"the header announces {announced:,} MP3 frames but only {frames - 1:,} are present",
            frames=frames - 1, announced=announced)
    return Probe("mp3", first.rate, first.channels, samples / first.rate)


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

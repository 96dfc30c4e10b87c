"""MP3 as an upload (console.media.containers): the frame headers walked, without decoding the audio.

A last frame that ends beyond the end of the data, a Xing/Info or VBRI header that announces more frames than
present, or an ID3v2 tag longer than the file means ``truncated``; frames that change rate or layer midway are
``unreadable`` (the decoder would play them at a length judged here for other frames). Free-format MP3 (no bitrate
in the frame headers) is refused as ``unreadable``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from console.media import rejections

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


def skip_id3v2(data: bytes, pos: int) -> int:
    while data[pos:pos + 3] == b"ID3":
        if pos + 10 > len(data):
            raise rejections.truncated("mp3", "id3_cut")
        version, flags = data[pos + 3], data[pos + 5]
        s = data[pos + 6:pos + 10]
        if version not in (2, 3, 4) or data[pos + 4] == 0xFF or flags & 0x0F or any(b & 0x80 for b in s):
            return pos   # not a valid ID3v2 header: let the frame search decide
        size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3]
        end = pos + 10 + size + (10 if flags & 0x10 else 0)
        if end > len(data):
            raise rejections.truncated("mp3", "id3_title_cut", declared=end, actual=len(data))
        pos = end
    return pos


def walk(data: bytes, start: int) -> tuple[int, int, int]:
    """(sample rate, channels, samples) of the MP3 frames from ``start`` (after any ID3v2 tag) on; refuses what
    is not an MP3 or is damaged."""
    n = len(data)
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
        if f is not None and f.length and (f.version, f.layer, f.rate) != (first.version, first.layer, first.rate) \
                and _chain_at(data, pos) is not None:
            # Frames of another kind: the decoder would play them too, at a rate the length judged here does not
            # know (a few kilobytes of 8 kHz frames after one 48 kHz frame).
            raise rejections.damaged("mp3", "rate_change", offset=pos, first_rate=first.rate,
                                     first_layer=first.layer, rate=f.rate, layer=f.layer)
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
            raise rejections.truncated("mp3", "frame_cut", frames=frames, missing_bytes=missing)
        frames += 1
        samples += f.samples
        pos += f.length
    rest = data[pos:]
    if rest and len(rest) < 4 and rest[0] == 0xFF:
        raise rejections.truncated("mp3", "frame_header_cut")
    if announced is not None and frames < announced - 1:   # encoders differ on counting the header frame
        raise rejections.truncated("mp3", "frames_missing", frames=frames - 1, announced=announced)
    return first.rate, first.channels, samples


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

"""Shared by the audio tests: the upload limits they use, and what every refusal must be (a known reason,
worded in German and English by the catalogue)."""
from __future__ import annotations

import pytest

from console.media import audio

MB = 1024 * 1024
LIMITS = dict(max_bytes=20 * MB, max_seconds=600.0)


def rejected(data: bytes, **limits) -> audio.AudioRejected:
    with pytest.raises(audio.AudioRejected) as info:
        audio.inspect(data, **{**LIMITS, **limits})
    exc = info.value
    assert exc.reason in audio.REASONS
    assert exc.message_de and exc.message_en and exc.message_de != exc.message_en
    assert exc.message("de") == exc.message_de and exc.message("en") == exc.message_en
    return exc

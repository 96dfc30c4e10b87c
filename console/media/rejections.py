"""Why an upload cannot be hold music or an announcement, said in German and English (§4.1).

Every refusal is an :class:`AudioRejected` with a machine ``reason`` (one of :data:`REASONS`) and a message that says
what is wrong and what would be accepted; the builders below keep the wording in one place.
"""
from __future__ import annotations

REASONS = ("empty", "too_large", "unreadable", "unsupported", "truncated", "silent", "too_long")

_ACCEPTED_DE = "Erlaubt sind MP3- oder WAV-Dateien"
_ACCEPTED_EN = "MP3 or WAV files are accepted"


class AudioRejected(Exception):
    """An upload that cannot be used as hold music or announcement.

    ``reason`` is one of :data:`REASONS`; ``message_de`` / ``message_en`` (or ``message(lang)``) tell the person
    what is wrong and what would be accepted; ``details`` holds the numbers behind the message.
    """

    def __init__(self, reason: str, message_de: str, message_en: str, **details):
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(message_en)
        self.reason = reason
        self.message_de = message_de
        self.message_en = message_en
        self.details = details

    def message(self, lang: str = "de") -> str:
        return self.message_de if (lang or "de").lower().startswith("de") else self.message_en

    def __str__(self) -> str:
        return f"{self.reason}: {self.message_en}"

    def __repr__(self) -> str:
        return f"AudioRejected({self.reason!r}, {self.message_en!r})"


def int_de(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _size(n: int, decimal: str) -> str:
    """A byte count for people: bytes, kB or MB (binary multiples, as file managers show them)."""
    if n < 1024:
        return f"{n} Bytes" if decimal == "," else f"{n} bytes"
    value, unit = (n / 1024, "kB") if n < 1024 * 1024 else (n / (1024 * 1024), "MB")
    text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text.replace('.', decimal)} {unit}"


def mb_de(n: int) -> str:
    return _size(n, ",")


def mb_en(n: int) -> str:
    return _size(n, ".")


def mmss(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def empty(has_header: bool = False) -> AudioRejected:
    if has_header:
        return AudioRejected(
            "empty",
            f"Die Datei enthält keine Audiodaten. {_ACCEPTED_DE} mit Musik oder Ansage.",
            f"The file contains no audio data. {_ACCEPTED_EN}, with music or speech in them.")
    return AudioRejected(
        "empty",
        f"Die Datei ist leer (0 Bytes). {_ACCEPTED_DE} mit Musik oder Ansage.",
        f"The file is empty (0 bytes). {_ACCEPTED_EN}, with music or speech in them.")


def unreadable() -> AudioRejected:
    return AudioRejected(
        "unreadable",
        f"Der Inhalt der Datei ist weder MP3 noch WAV (die Dateiendung allein genügt nicht). {_ACCEPTED_DE}; "
        f"bitte die Musik in einem Audioprogramm als MP3 oder WAV speichern.",
        f"The file's content is neither MP3 nor WAV (the file name extension alone is not enough). "
        f"{_ACCEPTED_EN}; please save the music as MP3 or WAV in an audio program.")


def damaged(fmt: str, why_de: str, why_en: str, **details) -> AudioRejected:
    """Headers that contradict themselves or the file (judged before anything is decoded)."""
    kind = fmt.upper()
    return AudioRejected(
        "unreadable",
        f"Die {kind}-Datei ist beschädigt: {why_de}. {_ACCEPTED_DE}; bitte die Datei neu exportieren.",
        f"The {kind} file is damaged: {why_en}. {_ACCEPTED_EN}; please export the file again.",
        **details)


def unreadable_wav(why_de: str, why_en: str, **details) -> AudioRejected:
    return damaged("wav", why_de, why_en, **details)


def sample_rate(rate: int, lowest: int, highest: int) -> AudioRejected:
    return AudioRejected(
        "unsupported",
        f"Die Datei gibt eine Abtastrate von {int_de(rate)} Hz an; erlaubt sind {int_de(lowest)} bis "
        f"{int_de(highest)} Hz. Bitte die Datei als MP3 oder WAV mit einer üblichen Abtastrate "
        f"(z. B. 44.100 oder 48.000 Hz) speichern.",
        f"The file gives a sample rate of {rate:,} Hz; {lowest:,} to {highest:,} Hz are accepted. Please save "
        f"the file as MP3 or WAV with a common sample rate (e.g. 44,100 or 48,000 Hz).",
        sample_rate=rate, lowest=lowest, highest=highest)


def channels(count: int, most: int) -> AudioRejected:
    return AudioRejected(
        "unsupported",
        f"Die Datei gibt {int_de(count)} Kanäle an; erlaubt sind höchstens {most}. Bitte die Datei als Mono- "
        f"oder Stereo-MP3 bzw. -WAV speichern.",
        f"The file gives {count:,} channels; at most {most} are accepted. Please save the file as a mono or "
        f"stereo MP3 or WAV.",
        channels=count, most=most)


def unsupported(name: str, **details) -> AudioRejected:
    return AudioRejected(
        "unsupported",
        f"Das Format {name} wird nicht unterstützt. {_ACCEPTED_DE} (WAV mit PCM, A-law oder µ-law); "
        f"bitte die Datei als MP3 oder WAV speichern.",
        f"The format {name} is not supported. {_ACCEPTED_EN} (WAV with PCM, A-law or µ-law); "
        f"please save the file as MP3 or WAV.",
        detected=name, **details)


def truncated(fmt: str, why_de: str, why_en: str, **details) -> AudioRejected:
    kind = fmt.upper()
    return AudioRejected(
        "truncated",
        f"Die {kind}-Datei ist unvollständig oder beschädigt: {why_de}. Bitte die vollständige Datei hochladen "
        f"oder sie neu als MP3 oder WAV exportieren.",
        f"The {kind} file is incomplete or damaged: {why_en}. Please upload the complete file, or export it "
        f"again as MP3 or WAV.",
        **details)


def too_long(seconds: float, max_seconds: float) -> AudioRejected:
    return AudioRejected(
        "too_long",
        f"Die Datei ist {mmss(seconds)} Minuten lang; erlaubt sind höchstens {mmss(max_seconds)} Minuten.",
        f"The file is {mmss(seconds)} minutes long; at most {mmss(max_seconds)} minutes are accepted.",
        seconds=seconds, max_seconds=max_seconds)


def too_large(size: int, max_bytes: int) -> AudioRejected:
    return AudioRejected(
        "too_large",
        f"Die Datei ist {mb_de(size)} groß; erlaubt sind höchstens {mb_de(max_bytes)} "
        f"(MP3 oder WAV). Eine MP3-Datei ist viel kleiner als eine WAV-Datei gleicher Länge.",
        f"The file is {mb_en(size)}; at most {mb_en(max_bytes)} is accepted (MP3 or WAV). "
        f"An MP3 file is much smaller than a WAV file of the same length.",
        size=size, max_bytes=max_bytes)


def silent(loudest: float, silence_dbfs: float) -> AudioRejected:
    if loudest == float("-inf"):
        level_de, level_en = "sie ist vollständig still", "it is completely silent"
    else:
        level_de = f"lauteste Stelle {loudest:.0f} dBFS; nötig sind mindestens {silence_dbfs:.0f} dBFS"
        level_en = f"loudest passage {loudest:.0f} dBFS; at least {silence_dbfs:.0f} dBFS is needed"
    return AudioRejected(
        "silent",
        f"Die Datei enthält keinen hörbaren Ton ({level_de}). "
        f"Bitte eine MP3- oder WAV-Datei mit Musik oder Ansage hochladen.",
        f"The file contains no audible sound ({level_en}). Please upload an MP3 or WAV file with music or speech.",
        loudest_dbfs=loudest)

"""What a received message says, read so that no message can make its handler fail.

Charsets nobody knows (`x-unknown`) and bytes that do not fit the declared one are decoded with replacement
characters; an HTML-only mail becomes text (not its source); control characters are removed; a forwarded
message (message/rfc822) is an attachment of its own; attachment names lose path parts and control characters.
"""
from __future__ import annotations

import codecs
import email.policy
import re
from email import headerregistry
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage, Message
from html.parser import HTMLParser

class _LenientPolicy(email.policy.EmailPolicy):
    """email.policy.default, except that a header its parser cannot read is read as plain text.

    CPython's structured header parsers raise on some values (an IndexError for the Message-ID "<@>", a
    HeaderParseError for some address lists) when a header is *fetched*, so any `message["From"]` of a received
    message could fail its reader. Found by tests/fuzz/test_mime.py."""

    def header_fetch_parse(self, name, value):
        try:
            return super().header_fetch_parse(name, value)
        except Exception:
            return _UNPARSED(name, "".join(str(value).splitlines()))


_UNPARSED = type("_UnparsedHeader", (headerregistry.UnstructuredHeader, headerregistry.BaseHeader), {})
#: The policy every received message is parsed with (console.mail.models, .inbound, .viewer, console.fax.mailin).
POLICY = _LenientPolicy()

FALLBACK_CHARSET = "utf-8"
MAX_FILENAME = 200
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
               "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "hr", "address"}
_SKIPPED_TAGS = {"script", "style", "head", "title", "template", "noscript"}


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """Without NUL, other control characters and lone surrogates; line ends as \\n; tabs kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    keep = {"\n", "\t"} if keep_newlines else {"\t"}
    return "".join(c if c in keep or unicodedata.category(c) not in ("Cc", "Cs") else
                   (" " if c in "\n\v\f" else "") for c in text)


def clean_line(text: str) -> str:
    """One line of text (a subject, a header value): control characters gone, whitespace collapsed."""
    return " ".join(clean_text(text, keep_newlines=False).split())


def charset_of(part: Message) -> str:
    """The part's declared charset if Python knows it, else UTF-8 (decoded with replacement characters)."""
    declared = part.get_content_charset() or ""
    try:
        return codecs.lookup(declared).name if declared else FALLBACK_CHARSET
    except (LookupError, ValueError):
        return FALLBACK_CHARSET


def decode_part(part: Message) -> str:
    """The text of a text/* part, whatever its charset says."""
    data = part.get_payload(decode=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return clean_text((data or b"").decode(charset_of(part), errors="replace"))


class _TextOfHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.out.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: tags gone, entities resolved, scripts and styles dropped, paragraphs kept."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but never let a body stop a handler
        return clean_text(re.sub(r"<[^>]*>", " ", html))
    lines = (" ".join(line.split()) for line in "".join(parser.out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html") and not part.is_attachment():
                return part
        return None


def body_text(message: EmailMessage) -> str:
    """The message's text: its text/plain body, or its HTML body as text."""
    part = _body_part(message)
    if part is None:
        return ""
    text = decode_part(part)
    return (html_to_text(text) if part.get_content_type() == "text/html" else text).strip()


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A file name that is safe to store and to send back in Content-Disposition: no directories, no control
    or direction-changing characters, no leading dots, at most 200 characters (keeping the suffix)."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:MAX_FILENAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 \
            else name[:MAX_FILENAME]
    return name or fallback


@dataclass(frozen=True)
class Attached:
    filename: str
    content_type: str
    data: bytes


def attachments(message: EmailMessage) -> list[Attached]:
    """Every attachment with a safe name; a forwarded message is kept whole, as an .eml file."""
    found = []
    try:
        parts = list(message.iter_attachments())
    except Exception:
        parts = []
    for n, part in enumerate(parts, 1):
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes(policy=email.policy.default) if isinstance(inner, Message) else b""
            subject = clean_line(str(inner.get("Subject", ""))) if isinstance(inner, Message) else ""
            name = safe_filename(filename or (f"{subject}.eml" if subject else ""), f"forwarded-{n}.eml")
            if not name.lower().endswith(".eml"):
                # through safe_filename again: a name already cut to 200 characters must stay within them
                name = safe_filename(name + ".eml")
            found.append(Attached(name, content_type, data))
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        found.append(Attached(safe_filename(filename, f"attachment-{n}"), content_type, data or b""))
    return found

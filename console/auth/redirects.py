"""Where to send someone after signing in or switching the language: only ever a path on this site."""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 2000


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Browsers are lenient where a redirect must not be: they drop tabs and newlines inside a URL (so `/\\t/evil`
    becomes `//evil`, another host), read a backslash as a slash, and a header with a newline is a 500. So a
    target is refused unless it starts with exactly one slash and has no scheme, no host, no backslash, and no
    whitespace, control, format or unassigned character anywhere (Unicode category C*, and every space).
    """
    if not target or len(target) > MAX_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target

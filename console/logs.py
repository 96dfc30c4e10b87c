"""Structured logging: one JSON object per line, with the request id when there is one.

No log line carries a secret: the URL segments that are credentials (a maintenance feed's, a PBX's hold-music
secret, console.auth.tokens) are replaced by ``…`` in every record the console's handler writes, in the
console's request log, and in gunicorn's access and error logs (:class:`console.accesslog.RedactingLogger`).
Bearer tokens travel in a header, which is never logged.
"""
from __future__ import annotations

import json
import logging
import re
import sys

from flask import g, has_request_context


#: Path segments that are secrets: what follows these prefixes up to the next "/", "." or the end of the path.
#: Case-insensitive and wherever it appears (a request line, a Referer), so a near miss is hidden too.
SECRET_SEGMENT = re.compile(r"(/(?:feed|pbx-media)/)[^/.?#\s\"]+", re.IGNORECASE)
REDACTED = "…"


def redact(text: str) -> str:
    """``text`` with every secret URL segment replaced by ``…``."""
    return SECRET_SEGMENT.sub(lambda m: m.group(1) + REDACTED, text) if "/" in text else text


class RedactSecrets(logging.Filter):
    """Rewrite a record whose message or ``path`` holds a secret URL segment (it is then logged as formatted)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = redact(path)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key in ("event", "login_id", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

"""Where outgoing mail goes: SMTP_URL, or the embedded sink when it is empty.

SMTP_URL forms: smtp://host:25 (plain), smtp+starttls://user:pass@host:587, smtps://user:pass@host:465.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": (False, False), "smtp+starttls": (False, True), "smtps": (True, False)}
TIMEOUT = 30


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    embedded: bool = False

    @classmethod
    def from_settings(cls, settings) -> "SmtpTarget":
        if not settings.smtp_url:
            return cls(host="127.0.0.1", port=settings.mail_sink_port, embedded=True)
        return cls.from_url(settings.smtp_url)

    @classmethod
    def from_url(cls, url: str) -> "SmtpTarget":
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(f"SMTP_URL scheme must be one of {', '.join(SCHEMES)}, not {parts.scheme!r}")
        tls, starttls = SCHEMES[parts.scheme]
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or (465 if tls else 587 if starttls else 25),
                   tls=tls, starttls=starttls, username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)

    def connect(self, timeout: float = TIMEOUT) -> smtplib.SMTP:
        """An open, authenticated connection (raises OSError / SMTPException like smtplib does)."""
        context = ssl.create_default_context() if self.tls or self.starttls else None
        if self.tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            conn.ehlo()
            if self.starttls:
                conn.starttls(context=context)
                conn.ehlo()
            if self.username:
                conn.login(self.username, self.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def describe(self) -> str:
        return "embedded sink" if self.embedded else f"{self.host}:{self.port}"


def health(settings, timeout: float = 1.0) -> dict:
    """For /healthz: can the configured mail server be reached (a TCP connect, nothing sent)?

    The embedded sink is reported, not judged: without it mail simply waits in the outbox."""
    target = SmtpTarget.from_settings(settings)
    try:
        socket.create_connection((target.host, target.port), timeout=timeout).close()
        listening = True
    except OSError:
        listening = False
    if target.embedded:
        return {"ok": True, "target": "embedded sink", "listening": listening}
    return {"ok": listening, "target": "configured (SMTP_URL)"}

"""The two SMTP servers the console runs itself (aiosmtpd): inbound mail, and the embedded Maildir sink."""
from __future__ import annotations

import asyncio
import logging
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from flask import Flask

from console.mail import inbound, jobs

log = logging.getLogger("console.mail.smtpd")


class InboundHandler:
    """Refuses unknown recipients at RCPT time; stores, answers 250, then runs the handlers."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.app.app_context():
            name = inbound.handler_for(address)
        if name is None:
            return f"550 5.1.1 <{address}>: no such recipient here"
        try:  # a handler that takes mail only from some senders (the fax domain) asks the database: off the loop
            refused = await asyncio.get_running_loop().run_in_executor(None, self._refusal, name,
                                                                       envelope.mail_from, address)
        except Exception:
            log.exception("could not check recipient %s for %s", address, envelope.mail_from)
            return "451 4.3.0 Could not check the recipient; please try again later"
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        raw = envelope.original_content or envelope.content
        peer = f"{session.peer[0]}:{session.peer[1]}" if session.peer else None
        try:
            ids = await loop.run_in_executor(None, self._store, envelope.mail_from, list(envelope.rcpt_tos), raw,
                                             peer)
        except Exception:
            log.exception("could not store inbound mail from %s", envelope.mail_from)
            return "451 4.3.0 Could not store the message; please try again later"
        for message_id in ids:  # after the reply: the sender never waits for (or sees) a handler
            loop.run_in_executor(None, self._dispatch, message_id)
        return "250 2.0.0 Message accepted"

    def _refusal(self, name: str, mail_from: str, address: str) -> str | None:
        with self.app.app_context():
            return inbound.refusal(name, mail_from, address)

    def _store(self, mail_from, rcpt_tos, raw, peer) -> list[int]:
        with self.app.app_context():
            return jobs.receive(mail_from, rcpt_tos, raw, peer)

    def _dispatch(self, message_id: int) -> None:
        with self.app.app_context():
            try:
                jobs.dispatch(message_id)
            except Exception:  # stored and due again: the scheduler's job retries it
                log.exception("dispatching inbound mail %s", message_id)


class MaildirSink:
    """Accepts every message and keeps it as received in a Maildir, for the "sent mail" viewer."""

    def __init__(self, path: str | Path):
        self.maildir = mailbox.Maildir(str(path), create=True)

    async def handle_DATA(self, server, session, envelope):
        envelope_header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        self.maildir.add(envelope_header + (envelope.original_content or envelope.content))
        return "250 2.0.0 Kept in the Maildir"


def inbound_controller(app: Flask, host: str | None = None, port: int | None = None) -> Controller:
    settings = app.extensions["settings"]
    return Controller(InboundHandler(app), hostname=host or settings.inbound_host,
                      port=port or settings.inbound_port, data_size_limit=settings.inbound_max_bytes,
                      enable_SMTPUTF8=True, server_hostname="stimme-console", ident="stimme console")


def sink_controller(path: str | Path, port: int, host: str = "127.0.0.1") -> Controller:
    return Controller(MaildirSink(path), hostname=host, port=port, enable_SMTPUTF8=True,
                      server_hostname="stimme-sink", ident="stimme mail sink")


def serve(controller: Controller, what: str) -> None:
    """Run a server until SIGINT/SIGTERM."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    controller.start()
    log.info("%s listening on %s:%s", what, controller.hostname, controller.port)
    print(f"  {what} listening on {controller.hostname}:{controller.port}", flush=True)
    stop.wait()
    controller.stop()

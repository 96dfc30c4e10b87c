"""Real SMTP servers for the tests (aiosmtpd on free loopback ports), and a database of a test's own."""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from console.ports import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    smtputf8: bool = False   # the client asked for SMTPUTF8 (MAIL FROM:<…> SMTPUTF8)

    @property
    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class ControllableSMTP:
    """An SMTP server that keeps what it accepts, can refuse chosen recipients with any reply, and can be
    stopped and started again on the same port (a real aiosmtpd, speaking real SMTP)."""
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)   # recipient → reply, e.g. "550 5.1.1 unknown"
    rcpt_attempts: list[str] = field(default_factory=list)
    data_delay: float = 0.0
    smtputf8: bool = True   # False: a server that does not offer SMTPUTF8 (RFC 6531)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                          bool(envelope.smtp_utf8)))
        return "250 2.0.0 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        return [r.parsed["Message-ID"] for r in self.received]


@contextlib.contextmanager
def own_database(database_url: str, tmp_path, name: str):
    """A database URL of the test's own: a new SQLite file, or a fresh schema in the PostgreSQL test database."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / (name + '.db')}"
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


@contextlib.contextmanager
def inbound_server(database_url: str, tmp_path, name: str, **settings):
    """The console's own inbound SMTP server (aiosmtpd, console.mail.smtpd) on a free port, with an app on a
    database of its own (the server's threads see only what is committed): yields (app, port)."""
    from console import create_app
    from console.config import Settings
    from console.extensions import db
    from console.mail.smtpd import inbound_controller
    with own_database(database_url, tmp_path, name) as url:
        app = create_app(Settings(database_url=url, secret_key="t", log_format="text", **settings))
        with app.app_context():
            db.create_all()
        controller = inbound_controller(app, "127.0.0.1", free_port())
        controller.start()
        try:
            yield app, controller.port
        finally:
            controller.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def wait_for(condition, seconds: float = 30):
    """Poll until condition() returns something true (for work done by another process or thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")

"""The `make run` stack, for real: console/devrun.py with all its processes (gunicorn with two workers, the
scheduler, inbound SMTP, the mail sink, slapd) on free ports, with an instance folder and a database of its own
(a SQLite file; a schema of the PostgreSQL test database when TEST_DATABASE_URL names one).

Tests talk to it as the outside world does: HTTP (urllib), SMTP (smtplib), signals to its processes, and read the
database and the sink's Maildir to see what was stored and sent.
"""
from __future__ import annotations

import ctypes
import email
import email.policy
import http.cookiejar
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from console.ports import free_port

from tests.mail.servers import own_database, wait_for

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
STARTUP_SECONDS = 60

pytestmark = pytest.mark.no_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """A browser's worth of HTTP: its own cookies, no redirects followed, the CSRF token of the last form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, *, json_body=None, form: dict | None = None,
                headers: dict | None = None, timeout: float = 30) -> Response:
        headers = dict(headers or {})
        data = None
        if json_body is not None:
            data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return Response(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def csrf(self, path: str = "/login") -> str:
        page = self.get(path).text
        return re.search(r'name="csrf[-_]token"[^>]*(?:value|content)="([^"]+)"', page).group(1)

    def sign_in(self, email_address: str, password: str, token: str | None = None) -> Response:
        return self.request("POST", "/login", form={"email": email_address, "password": password,
                                                     "csrf_token": token or self.csrf()})


@dataclass
class Stack:
    process: subprocess.Popen
    instance: Path
    database_url: str
    port: int
    inbound_port: int
    sink_port: int
    ldap_port: int
    seed: dict
    log_path: Path
    _engine: object = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Client:
        return Client(self.base)

    def health(self) -> Response:
        return self.client().get("/healthz", timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # --- what was stored and sent ----------------------------------------------------------------------

    def scalar(self, sql: str, **params):
        if self._engine is None:
            self._engine = create_engine(self.database_url)
        with self._engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def sink_messages(self) -> list[email.message.EmailMessage]:
        box = mailbox.Maildir(str(self.instance / "maildir"), create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]

    # --- the processes ---------------------------------------------------------------------------------

    def child_pid(self, marker: str) -> int | None:
        """The pid of make run's child whose command line contains marker (e.g. "mail sink")."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and marker in cmdline:
                return int(entry.name)
        return None

    def slapd_pid(self) -> int | None:
        """The slapd server itself (its pid file), not the launcher make run started."""
        try:
            pid = int((self.instance / "slapd" / "slapd.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if Path(f"/proc/{pid}").exists() and b"slapd" in Path(f"/proc/{pid}/cmdline").read_bytes() \
            else None


def _own_group_dies_with_us() -> None:
    """make run in a process group of its own (so teardown can clear it), sent SIGTERM if pytest dies (Linux)."""
    os.setsid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _environment(instance: Path, database_url: str, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.removeprefix("CONSOLE_") in {"BASE_URL", "SMTP_URL", "LDAP_URL", "DATABASE_URL", "PORT"}}
    env.update({"CONSOLE_INSTANCE_DIR": str(instance), "DATABASE_URL": database_url, "PORT": str(ports["web"]),
                "MAIL_SINK_PORT": str(ports["sink"]), "INBOUND_PORT": str(ports["inbound"]),
                "LDAP_EMBEDDED_PORT": str(ports["ldap"]), "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"})
    return env


def _start_stack(tmp: Path, database_url: str):
    instance = tmp / "instance"
    ports = {name: free_port() for name in ("web", "sink", "inbound", "ldap")}
    env = _environment(instance, database_url, ports)
    seeded = subprocess.run([PYTHON, "-m", "tests.stack.seed"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    log_path = tmp / "make-run.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([PYTHON, "-m", "console.devrun"], cwd=ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, preexec_fn=_own_group_dies_with_us)
    stack = Stack(process, instance, database_url, ports["web"], ports["inbound"], ports["sink"], ports["ldap"],
                  seed, log_path)

    def ready():
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}:\n{stack.log()[-3000:]}")
        try:
            return stack.health().json()["status"] == "ok" and "inbound SMTP listening" in stack.log() \
                and "scheduler: leading" in stack.log()
        except (OSError, ValueError):
            return False
    try:
        wait_for(ready, STARTUP_SECONDS)
    except AssertionError:
        _stop(stack)
        raise AssertionError(f"the stack did not come up:\n{stack.log()[-4000:]}") from None
    return stack


def _stop(stack: Stack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)   # its children get SIGTERM (PR_SET_PDEATHSIG)
            stack.process.wait()
    if stack._engine is not None:
        stack._engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'console.db'}"
    with own_database(url, tmp, "stack_ops") as database_url:
        stack = _start_stack(tmp, database_url)
        try:
            yield stack
        finally:
            _stop(stack)
            assert stack.process.returncode == 0, stack.log()[-3000:]
            leftovers = [pid for pid in (stack.slapd_pid(),) if pid]
            assert leftovers == [], "slapd still running after make run stopped"

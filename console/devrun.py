"""`make run`: starts the console and everything it needs on embedded defaults; one Ctrl-C stops all.

Each process is declared in PROCESSES; features that need a companion process (scheduler, mail sink,
slapd) add it there. A companion that exits is started again after a pause that doubles with each exit in a
row (1 s … 30 s), and the rest keep serving: without the mail sink mail waits in the outbox, without slapd
callers show without a name, but fault reports are still taken. gunicorn is not a companion: its master
already restarts its own workers, so when the master itself exits it cannot serve (port taken, app does not
load) and a restart would only repeat that: make run stops. SIGINT (Ctrl-C) and SIGTERM stop everything.

Every child gets BASE_URL (unless it is set): the port given is the port used, in links and hold-music URLs.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from console.config import INSTANCE_DIR

VENV_BIN = Path(sys.executable).parent
PORT = os.environ.get("PORT", "5000")

PROCESSES: dict[str, list[str]] = {
    "web": [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--access-logfile", "-",
            "--config", "python:console.ops.gunicorn_conf",  # /metrics adds up both workers' counts
            "--logger-class", "console.accesslog.RedactingLogger", "app:app"],
    # the embedded LDAP server for the phonebooks (idles when LDAP_URL names another one)
    "slapd": [sys.executable, "-m", "console.directory.slapd"],
    # the one scheduler (mail delivery and every other ticker in console.jobs.registry), and inbound SMTP
    "scheduler": [str(VENV_BIN / "flask"), "--app", "app", "scheduler"],
    "smtpd": [str(VENV_BIN / "flask"), "--app", "app", "smtpd"],
}
if not (os.environ.get("SMTP_URL") or os.environ.get("CONSOLE_SMTP_URL")):
    # no mail server configured: a local sink keeps every sent message in instance/maildir (staff: Mail → Sent mail)
    PROCESSES["mail-sink"] = [str(VENV_BIN / "flask"), "--app", "app", "mail", "sink"]

FATAL = {"web"}   # its exit stops everything; every other process is a companion and is restarted
CONTROL_SOCKET = INSTANCE_DIR / "gunicorn.ctl"   # gunicorn's control socket: this instance's, not ~/.gunicorn's
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
STABLE_AFTER = 60.0   # a companion that ran this long before exiting starts again after the first pause

DEMO_LOGINS = ["staff@example.com", "reseller@example.com", "reseller2@example.com", "customer-admin@example.com",
               "user@example.com"]


def gunicorn_control_options(path: Path = CONTROL_SOCKET) -> list[str]:
    # a Unix socket path has room for 107 bytes; a deeper instance folder gets no control socket rather than
    # the one shared by every gunicorn of this user
    return ["--control-socket", str(path)] if len(str(path).encode()) <= 100 else ["--no-control-socket"]


PROCESSES["web"][-1:-1] = gunicorn_control_options()


def child_environment(environ: dict[str, str] | None = None, port: str = PORT) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    if not (env.get("BASE_URL") or env.get("CONSOLE_BASE_URL")):
        env["BASE_URL"] = f"http://127.0.0.1:{port}"
    return env


def _die_with_parent() -> None:
    """In the child before exec: own process group (so a restart can clear what a crashed child left, e.g. the
    slapd of a killed launcher), and SIGTERM when make run itself dies (Linux)."""
    os.setsid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    cmd: list[str]
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    exits_in_a_row: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def clear_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal what is left of the child's process group (its own children)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def exited(self, now: float) -> float:
        """Note an exit; returns the pause before the next start."""
        code = self.proc.returncode
        self.clear_group()
        self.exits_in_a_row = 1 if now - self.started_at >= STABLE_AFTER else self.exits_in_a_row + 1
        pause = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.exits_in_a_row - 1))
        self.restart_at = now + pause
        log(f"{self.name} exited with {code}; starting it again in {pause:.0f} s "
            f"({self.exits_in_a_row}. exit in a row), the rest keep serving")
        return pause


def log(message: str) -> None:
    print(f"  make run: {message}", file=sys.stderr, flush=True)


def main() -> int:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    env = child_environment()
    children = [Child(name, cmd, env) for name, cmd in PROCESSES.items()]
    stopping: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _: stopping.append(signum))
    signal.signal(signal.SIGTERM, lambda signum, _: stopping.append(signum))
    for child in children:
        child.start()
    print(f"\n  stimme console: http://127.0.0.1:{PORT}/  (BASE_URL {env['BASE_URL']})")
    print("  demo logins (password: demo): " + ", ".join(DEMO_LOGINS))
    print("  Ctrl-C stops everything.\n", flush=True)
    exit_code = 0
    while not stopping:
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                    log(f"{child.name} started again (restart {child.restarts})")
            elif not child.running():
                if child.name in FATAL:
                    log(f"{child.name} exited with {child.proc.returncode}; it cannot serve, stopping the rest")
                    exit_code = child.proc.returncode or 1
                    stopping.append(0)
                    break
                child.exited(now)
        time.sleep(0.2)
    _stop_all(children)
    return exit_code


def _stop_all(children: list[Child], grace: float = 10.0) -> None:
    for child in children:
        if child.running():
            child.proc.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{child.name} did not stop within {grace:.0f} s; killed")
        child.clear_group()
        if child.proc.poll() is None:
            child.proc.wait()


if __name__ == "__main__":
    sys.exit(main())

"""Real console processes for a test, started with the production commands (docs/operations.md), each with its
output captured, so a failing wait can show what every process said."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FLASK = [str(BIN / "flask"), "--app", "app"]


def web_command(port: int) -> list[str]:
    """gunicorn as console/devrun.py starts it (two workers, the ops config), on the given port."""
    return [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-",
            "--config", "python:console.ops.gunicorn_conf", "--logger-class", "console.accesslog.RedactingLogger",
            "--no-control-socket", "app:app"]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    lines: list[tuple[float, str]] = field(default_factory=list)   # (time.monotonic() when read, line)

    def said(self, words: str) -> float | None:
        """When a line with these words was read (time.monotonic()), if one was."""
        return next((at for at, line in list(self.lines) if words in line), None)


class Fleet:
    """Processes of one test: start(), then kill() any of them; stop() ends all that are left (always call it)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.processes: list[Process] = []

    def start(self, name: str, command: list[str]) -> Process:
        # own session: the kill and the clean-up reach a process's children too (gunicorn's workers)
        popen = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, start_new_session=True)
        process = Process(name, popen)

        def read():
            for line in popen.stdout:
                process.lines.append((time.monotonic(), line))
        threading.Thread(target=read, daemon=True).start()
        self.processes.append(process)
        return process

    def kill(self, process: Process) -> None:
        """SIGKILL: no clean-up of its own, as when a machine dies."""
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.popen.pid, signal.SIGKILL)   # whatever is left of its group
            except (ProcessLookupError, PermissionError):
                pass

    def output(self) -> str:
        parts = []
        for p in self.processes:
            state = "running" if p.popen.poll() is None else f"exited {p.popen.returncode}"
            lines = [line for _, line in p.lines]
            shown = lines if len(lines) <= 60 else lines[:15] + ["…\n"] + lines[-45:]   # how it began and ended
            parts.append(f"--- {p.name} (pid {p.popen.pid}, {state}) ---\n" + "".join(shown))
        return "\n".join(parts)

    def wait_for(self, condition, what: str, seconds: float = 20):
        """Poll until condition() is true; else fail naming what was awaited, with every process's output."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if result := condition():
                return result
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {seconds} s\n{self.output()}")

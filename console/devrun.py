"""`make run`: starts the console and everything it needs on embedded defaults; one Ctrl-C stops all.

Each process is declared in PROCESSES; features that need a companion process (scheduler, mail sink,
slapd) add it there.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
PORT = os.environ.get("PORT", "5000")

PROCESSES: dict[str, list[str]] = {
    "web": [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--access-logfile", "-",
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

DEMO_LOGINS = ["staff@example.com", "reseller@example.com", "reseller2@example.com", "customer-admin@example.com",
               "user@example.com"]


def main() -> int:
    children: dict[str, subprocess.Popen] = {}
    for name, cmd in PROCESSES.items():
        children[name] = subprocess.Popen(cmd)
    print(f"\n  stimme console: http://127.0.0.1:{PORT}/")
    print("  demo logins (password: demo): " + ", ".join(DEMO_LOGINS))
    print("  Ctrl-C stops everything.\n", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                print(f"  {name} exited with {proc.returncode}; stopping the rest", file=sys.stderr)
                exit_code, stopping = proc.returncode or 1, True
                break
        time.sleep(0.3)
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in children.values():
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

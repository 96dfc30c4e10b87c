"""make run when gunicorn cannot serve: it stops everything and says why."""
from __future__ import annotations

import os
import re
import socket
import subprocess

import pytest

from console.ports import free_port

from tests.stack.conftest import PYTHON, ROOT, _environment, _own_group_dies_with_us

pytestmark = pytest.mark.no_db


def test_gunicorn_that_cannot_serve_stops_make_run_with_its_reason(tmp_path):
    """gunicorn's master restarts its own workers; when the master itself exits (here: the port is taken) a
    restart would only repeat that, so make run stops everything and says why (exit status not 0)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = {"web": taken.getsockname()[1], "sink": free_port(), "inbound": free_port(), "ldap": free_port()}
        env = _environment(tmp_path / "instance", f"sqlite:///{tmp_path / 'console.db'}", ports)
        run = subprocess.run([PYTHON, "-m", "console.devrun"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=90, preexec_fn=_own_group_dies_with_us)
    assert run.returncode != 0
    assert re.search(r"web exited with \d+; it cannot serve, stopping the rest", run.stderr), run.stderr[-2000:]
    pid_file = tmp_path / "instance" / "slapd" / "slapd.pid"
    if pid_file.exists():   # slapd had started: it was stopped with the rest
        assert not os.path.exists(f"/proc/{pid_file.read_text().split()[0]}")

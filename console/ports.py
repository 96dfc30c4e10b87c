"""A free TCP port on loopback for a server that another process (or a moment later) will bind."""
from __future__ import annotations

import random
import socket
from pathlib import Path


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port for a server another process will start. Not from the kernel's ephemeral range (what bind(0)
    hands out): every outgoing connection takes its local port from there, and one that took this port before
    the server binds it keeps the server out (EADDRINUSE) for as long as it lives — seen in CI as a mail sink
    that could not start for minutes."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(20000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between 20000 and {low}")

"""Render an untrusted PDF in a child process with bounded memory (RLIMIT_AS) and time (RLIMIT_CPU and a wall
clock timeout): a hostile PDF can only kill the child, never the job that waits for it.

    python -I console/fax/pages.py IN.pdf OUT.tif MAX_PAGES   → one JSON line: {"pages": n} or {"refused": code}

The child runs pages.py as a script: it imports only pypdfium2 and Pillow, not the console (quick to start).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from console.fax import pages


@dataclass(frozen=True)
class Rendered:
    pages: int = 0
    refused: str | None = None           # a code of console.fax.pages.REFUSALS
    params: dict = field(default_factory=dict)


def _limits(memory_mb: int, seconds: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, memory_mb * 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def render(pdf: Path, tiff: Path, *, max_pages: int, memory_mb: int = 768, seconds: int = 60,
           cover: Path | None = None) -> Rendered:
    """Check and render `pdf` to fax pages in `tiff` (written only when the answer has pages), after the pages
    of `cover` (our own PDF, console.fax.reports.cover_pdf) when given."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    try:
        done = subprocess.run([sys.executable, "-I", pages.__file__, str(pdf), str(tiff), str(max_pages)]
                              + ([str(cover)] if cover else []),
                              capture_output=True, timeout=seconds * 2, env=env,
                              preexec_fn=_limits(memory_mb, seconds))
    except subprocess.TimeoutExpired:
        return Rendered(refused="too_complex")
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        return Rendered(refused="too_complex")   # out of memory or CPU time: the PDF asks for more than a fax
    answer = json.loads(lines[-1])
    if "refused" in answer:
        return Rendered(refused=answer["refused"], params=answer.get("params") or {})
    return Rendered(pages=int(answer["pages"]))

"""The fax store: files under FAX_DIR, written whole (a ".part" first, fsynced, then renamed) before any row
names them. Paths in rows are relative to FAX_DIR and built from ids only."""
from __future__ import annotations

import os
from pathlib import Path

from flask import current_app


def root() -> Path:
    return Path(current_app.extensions["settings"].fax_dir)


def path_of(relative: str) -> Path:
    return root() / relative


def write(relative: str, data: bytes) -> str:
    """Store `data` durably under `relative` (e.g. "in/2026/12/17.tif"); returns `relative`."""
    target = path_of(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return relative


def read(relative: str) -> bytes:
    return path_of(relative).read_bytes()

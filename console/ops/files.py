"""The file stores of a backup: every stored file, under files/<store>/<its path in the store>.

A store is a folder the console keeps files in (media, voicemail). Half-written files (".part", see
console/media/services._write) are left out: the row that would name them is not committed yet either.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

PREFIX = "files"


def stores(settings) -> dict[str, Path]:
    """The console's file stores by name; voicemail and fax add theirs here once they exist."""
    return {"media": Path(settings.media_dir), "voicemail": Path(settings.voicemail_dir),
            "fax": Path(settings.fax_dir)}


def _stored(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part"))


def copy_out(settings, staging: Path) -> dict[str, int]:
    """Copy every store into `staging`; returns how many files each store had."""
    counts: dict[str, int] = {}
    for name, root in stores(settings).items():
        found = _stored(root)
        for path in found:
            target = staging / PREFIX / name / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        counts[name] = len(found)
    return counts


def non_empty(settings) -> list[str]:
    """The stores that already hold files."""
    return [name for name, root in stores(settings).items() if _stored(root)]


def copy_in(settings, unpacked: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, root in stores(settings).items():
        source = unpacked / PREFIX / name
        found = _stored(source)
        for path in found:
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            shutil.copy2(path, partial)
            os.replace(partial, target)
        counts[name] = len(found)
    return counts

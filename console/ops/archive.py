"""The backup archive: one tar file holding a manifest and the parts it names, each with its SHA-256.

manifest.json comes first, so a reader learns what to expect before it reads any part; every member after it
must be named in the manifest with its size and checksum, and every part the manifest names must be there.
An archive is written beside its final name and renamed when complete (and fsynced), so a backup directory
never holds half an archive under an archive's name.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from flask_babel import gettext as _

from console.ops import sealing

MANIFEST = "manifest.json"
FORMAT = 1
SUFFIX = ".tar"
PARTIAL = ".partial"


class BackupDamaged(RuntimeError):
    """The archive cannot be trusted: unreadable, truncated, or a part that does not match the manifest."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_parts(staging: Path) -> dict[str, dict]:
    """Every file under `staging` (the parts of one backup) → its size and SHA-256, by archive path."""
    return {path.relative_to(staging).as_posix(): {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
            for path in sorted(staging.rglob("*")) if path.is_file()}


def write(staging: Path, manifest: dict, target: Path, key: str = "") -> Path:
    """Write the parts in `staging` and the manifest into `target` (atomically); returns `target`.

    With a `key` (CONSOLE_BACKUP_KEY) the finished tar is sealed (console/ops/sealing.py) before the rename."""
    partial = target.with_name(target.name + PARTIAL)
    body = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode()
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(manifest["created_epoch"]), 0o600
        tar.addfile(info, io.BytesIO(body))
        for name in manifest["parts"]:
            tar.add(staging / name, arcname=name, recursive=False)
    if key:
        sealed = partial.with_name(partial.name + ".sealed")
        sealing.seal(partial, sealed, key)
        os.replace(sealed, partial)
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return target


def _safe(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


@contextmanager
def plain(archive: Path):
    """The archive as a readable tar: itself, or decrypted into a temporary file when it is sealed."""
    try:
        sealed = sealing.is_sealed(archive)
    except OSError as exc:
        raise BackupDamaged(_("%(archive)s cannot be read (%(reason)s): it is damaged or truncated.",
                              archive=archive.name, reason=type(exc).__name__)) from None
    if not sealed:
        yield archive
        return
    key = current_app.extensions["settings"].backup_key
    with tempfile.TemporaryDirectory(prefix=".unsealed-") as folder:
        target = Path(folder) / archive.name
        try:
            sealing.unseal(archive, target, key, archive.name)
        except sealing.KeyProblem as exc:
            raise BackupDamaged(str(exc)) from None
        except (ValueError, OSError) as exc:
            raise BackupDamaged(_("%(archive)s cannot be read (%(reason)s): it is damaged or truncated.",
                                  archive=archive.name, reason=type(exc).__name__)) from None
        yield target


def read_manifest(archive: Path) -> dict:
    """The manifest alone (for listings and age checks); BackupDamaged when there is none."""
    with plain(archive) as readable:
        return _read_manifest(readable, archive.name)


def _read_manifest(archive: Path, label: str) -> dict:
    try:
        with tarfile.open(archive, "r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST:
                raise BackupDamaged(_("%(archive)s is no backup of this console: it does not begin with a "
                                      "manifest.", archive=label))
            return json.loads(tar.extractfile(first).read())
    except (tarfile.TarError, OSError, ValueError, EOFError) as exc:
        raise BackupDamaged(_("%(archive)s cannot be read (%(reason)s): it is damaged or truncated.",
                              archive=label, reason=type(exc).__name__)) from None


def extract_verified(archive: Path, into: Path) -> dict:
    """Unpack into `into` and check every part against the manifest; returns the manifest.

    Nothing outside `into` is touched; member names are only those the manifest lists (no links, no "..")."""
    with plain(archive) as readable:
        return _extract_verified(readable, into, archive.name)


def _extract_verified(archive: Path, into: Path, label: str) -> dict:
    manifest = _read_manifest(archive, label)
    expected: dict[str, dict] = manifest.get("parts") or {}
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile() or not _safe(member.name):
                    raise BackupDamaged(_("%(archive)s holds “%(name)s”, which its manifest does not list.",
                                          archive=label, name=member.name[:200]))
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, target.open("wb") as sink:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        sink.write(block)
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupDamaged(_("%(archive)s cannot be read (%(reason)s): it is damaged or truncated.",
                              archive=label, reason=type(exc).__name__)) from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupDamaged(_("%(archive)s is incomplete: %(parts)s missing.", archive=label,
                              parts=", ".join(missing[:5])))
    for name, facts in expected.items():
        path = into / name
        if path.stat().st_size != facts["bytes"] or sha256_of(path) != facts["sha256"]:
            raise BackupDamaged(_("%(archive)s is damaged: “%(name)s” does not match the checksum in its "
                                  "manifest.", archive=label, name=name))
    return manifest

"""The voicemail store on disk: one tree per PBX, named by the PBX's id (never by anything a client sends).

    <VOICEMAIL_DIR>/<pbx id>/dav/           what the PBX sees over WebDAV (scripts, prompts, mailboxes)
    <VOICEMAIL_DIR>/<pbx id>/dav/<ext>/     a mailbox: a folder named by a user's extension (digits)
    <VOICEMAIL_DIR>/<pbx id>/dav/<ext>/heard/   messages heard (moved here by the PBX or by the inbox)
    <VOICEMAIL_DIR>/<pbx id>/kept/          refused recordings, out of the PBX's sight, for staff

A recording is a file with a recording suffix (console.voicemail.recording.CODECS) directly in a mailbox
folder, other than the user's greeting (``greeting.*``) and name (``name.*``) prompts.
Files are written to a ``.part`` beside the target, fsynced, renamed, and the folder fsynced.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path, PurePosixPath

from flask import current_app

from console.voicemail.recording import codec_of

MAILBOX = re.compile(r"\d{1,6}")
HEARD = "heard"
_RESERVED = ("greeting", "name.")
PART = ".part"


class OutsideTree(Exception):
    """A path that would leave the PBX's own tree."""


def base(pbx_id: int) -> Path:
    return Path(current_app.extensions["settings"].voicemail_dir) / str(int(pbx_id))


def tree(pbx_id: int) -> Path:
    return base(pbx_id) / "dav"


def kept_dir(pbx_id: int) -> Path:
    return base(pbx_id) / "kept"


def parts_of(relative: str) -> list[str]:
    """The segments of a path in a tree; anything that could step out (``..``, ``.``, empty, backslashes,
    NUL, hidden names, our own ``.part`` files) is refused."""
    parts = [p for p in relative.split("/") if p != ""]
    for part in parts:
        if part in (".", "..") or part.startswith(".") or "\\" in part or "\x00" in part or part.endswith(PART) \
                or len(part) > 200:
            raise OutsideTree(relative)
    return parts


def resolve(pbx_id: int, relative: str) -> Path:
    root = tree(pbx_id)
    target = root.joinpath(*parts_of(relative))
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise OutsideTree(relative)
    return target


def is_recording(relative: str) -> bool:
    parts = parts_of(relative)
    return (len(parts) == 2 and MAILBOX.fullmatch(parts[0]) is not None and codec_of(parts[1]) is not None
            and not parts[1].lower().startswith(_RESERVED))


def is_heard_path(relative: str) -> bool:
    parts = parts_of(relative)
    return len(parts) == 3 and MAILBOX.fullmatch(parts[0]) is not None and parts[1] == HEARD


def mailbox_of(relative: str) -> str:
    return parts_of(relative)[0]


def ensure_tree(pbx_id: int) -> Path:
    root = tree(pbx_id)
    root.mkdir(parents=True, exist_ok=True)
    return root


def part_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{PART}")


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_part(part: Path, target: Path) -> None:
    """The written `.part` becomes `target` durably: fsync the data, rename, fsync the folder."""
    with open(part, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(part, target)
    fsync_dir(target.parent)


def write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    with open(part, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, target)
    fsync_dir(target.parent)


def new_name(codec: str, stamp: str) -> str:
    return f"msg-{stamp}-{secrets.token_hex(4)}.{codec}"


def relative_of(pbx_id: int, path: Path) -> str:
    return PurePosixPath(path.relative_to(tree(pbx_id))).as_posix()


def remove(pbx_id: int, relative: str | None) -> None:
    if not relative:
        return
    try:
        resolve(pbx_id, relative).unlink()
    except (FileNotFoundError, OutsideTree):
        pass


def move(pbx_id: int, relative: str, destination: str) -> None:
    source, target = resolve(pbx_id, relative), resolve(pbx_id, destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    fsync_dir(target.parent)

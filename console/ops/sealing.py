"""Optional encryption of a backup archive with CONSOLE_BACKUP_KEY (AES-256-GCM, in chunks).

A sealed archive is: MAGIC, an 8-byte random nonce prefix, a 16-byte key check (the GCM tag of nothing, so a
wrong key is told apart from a damaged archive), then chunks of (4-byte length, ciphertext+tag).
Chunk i is sealed with nonce = prefix + i (4 bytes) and the associated data b"more" or b"last", so chunks cannot
be reordered, dropped, or the archive cut short without the restore noticing. The key never goes into the archive;
without it (or with another one) the restore and the drill refuse with a message saying so.
"""
from __future__ import annotations

import base64
import binascii
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import gettext as _

MAGIC = b"STIMME-SEALED-1\n"
CHUNK = 1 << 20
CHECK_INDEX = b"\xff\xff\xff\xff"
GENERATE_KEY = "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"


class KeyProblem(RuntimeError):
    """The archive is sealed and the key to open it is missing or another one."""


def parse_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True) if text.strip() else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise KeyProblem(_("CONSOLE_BACKUP_KEY must be 32 random bytes in base64 (make one with %(command)s).",
                           command=GENERATE_KEY))
    return key


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def seal(plain: Path, sealed: Path, key_text: str) -> None:
    """Write `plain` encrypted into `sealed` (fsynced)."""
    aead = AESGCM(parse_key(key_text))
    prefix = os.urandom(8)
    with plain.open("rb") as source, sealed.open("wb") as sink:
        sink.write(MAGIC + prefix + aead.encrypt(prefix + CHECK_INDEX, b"", b"key"))
        index, block = 0, source.read(CHUNK)
        while True:
            following = source.read(CHUNK)
            tag = b"more" if following else b"last"
            body = aead.encrypt(prefix + struct.pack(">I", index), block, tag)
            sink.write(struct.pack(">I", len(body)) + body)
            if not following:
                break
            index, block = index + 1, following
        sink.flush()
        os.fsync(sink.fileno())


def unseal(sealed: Path, plain: Path, key_text: str, name: str) -> None:
    """Decrypt `sealed` into `plain`; KeyProblem for a missing/wrong key, ValueError for a damaged file."""
    if not key_text.strip():
        raise KeyProblem(_("%(archive)s is encrypted: set CONSOLE_BACKUP_KEY to the key it was made with.",
                           archive=name))
    aead = AESGCM(parse_key(key_text))
    with sealed.open("rb") as source, plain.open("wb") as sink:
        source.read(len(MAGIC))
        prefix, check = source.read(8), source.read(16)
        try:
            aead.decrypt(prefix + CHECK_INDEX, check, b"key")
        except InvalidTag:
            raise KeyProblem(_("%(archive)s cannot be opened with this CONSOLE_BACKUP_KEY: it was made with "
                               "another key.", archive=name)) from None
        index, last = 0, False
        while not last:
            head = source.read(4)
            if len(head) != 4:
                raise ValueError("truncated")
            (length,) = struct.unpack(">I", head)
            body = source.read(length)
            if len(body) != length:
                raise ValueError("truncated")
            nonce = prefix + struct.pack(">I", index)
            try:
                sink.write(aead.decrypt(nonce, body, b"more"))
            except InvalidTag:
                try:
                    sink.write(aead.decrypt(nonce, body, b"last"))
                    last = True
                except InvalidTag:
                    raise ValueError("chunk does not authenticate") from None
            index += 1
        if source.read(1):
            raise ValueError("data after the last chunk")

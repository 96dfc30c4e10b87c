"""Fixtures for the media library: a customer with its admin, uploads through the real views, and what is on
disk and in the database afterwards."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
import soundfile as sf
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.media.models import MediaItem, MediaVersion


@pytest.fixture
def media_dir(app) -> Path:
    return Path(app.extensions["settings"].media_dir)


@pytest.fixture
def files_in(media_dir):
    """files_in() → the set of files below MEDIA_DIR (relative paths)."""
    def _files() -> set[str]:
        return {str(p.relative_to(media_dir)) for p in media_dir.rglob("*") if p.is_file()}
    return _files


@pytest.fixture
def tenant(make_customer, make_login, signed_in):
    """tenant(tag) → a customer, its admin (English) and a browser signed in as the admin."""
    def _tenant(tag: str = "A", language: str = "en"):
        customer = make_customer(name=f"Medien{tag} GmbH")
        admin = make_login(Role.CUSTOMER_ADMIN, customer=customer, language=language)
        return SimpleNamespace(customer=customer, pbx=customer.pbx, admin=admin, browser=signed_in(admin))
    return _tenant


def upload_new(browser, customer_id: int, data: bytes, filename: str = "musik.mp3", **fields):
    form = {"kind": "hold_music", "name": "Sommer", "target": "operator", "group_name": "", "normalize": "y",
            **fields, "file": (io.BytesIO(data), filename)}
    return browser.post(f"/customers/{customer_id}/media/new", form, content_type="multipart/form-data")


def upload_version(browser, item_id: int, data: bytes, filename: str = "neu.wav", normalize: bool = True):
    form = {"file": (io.BytesIO(data), filename), **({"normalize": "y"} if normalize else {})}
    return browser.post(f"/media/items/{item_id}/upload", form, content_type="multipart/form-data")


def row_counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(MediaItem.id))),
            db.session.scalar(select(func.count(MediaVersion.id))))


def decode_raw(data: bytes, subtype: str):
    x, _ = sf.read(io.BytesIO(data), format="RAW", subtype=subtype, samplerate=8000, channels=1, dtype="float64")
    return x

"""Voicemail fixtures: a PBX with a Klingende user and store credentials, and the PBX's side of the WebDAV
store played with a real WebDAV client library (webdav4 over httpx), in process through the WSGI transport."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
from webdav4.client import Client

from console.accounts.models import Package
from console.extensions import db
from console.media import audio
from console.voicemail import inbox


@dataclass
class PbxSide:
    """What a PBX has: its name, its store token, and a WebDAV client signed in with them."""
    pbx: object
    token: str
    dav: Client

    def put(self, path: str, data: bytes) -> httpx.Response:
        """PUT as the PBX's voicemail script does; the test's session sees what the request committed."""
        db.session.flush()
        response = self.dav.http.put(self.dav.join_url(path), content=data)
        db.session.expire_all()
        return response


def pep3333(app):
    """httpx's WSGI transport puts the decoded path into PATH_INFO as text; PEP 3333 (and every real server)
    gives the URL's bytes as latin-1. Re-encoded here so the console sees what gunicorn would give it."""
    def wsgi(environ, start_response):
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
        return app(environ, start_response)
    return wsgi


def dav_client(app, pbx_name: str, token: str) -> Client:
    transport = httpx.WSGITransport(app=pep3333(app))
    return Client(f"http://console.test/dav/{pbx_name}/", auth=(pbx_name, token), transport=transport,
                  retry=False)


@pytest.fixture(autouse=True)
def own_store(configure, tmp_path):
    """Each test its own store folder: PBX ids come again after the rollback, their trees must not."""
    configure(voicemail_dir=str(tmp_path / "voicemail"))
    return tmp_path / "voicemail"


@pytest.fixture
def pbx_side(app):
    def _make(customer) -> PbxSide:
        _row, token = inbox.issue_token(customer.pbx, "Voicemail")
        db.session.flush()
        return PbxSide(customer.pbx, token, dav_client(app, customer.pbx.name, token))
    return _make


@pytest.fixture
def mailbox_user(make_user):
    def _make(customer, extension="21", package=Package.KLINGENDE, **kw):
        kw.setdefault("email", f"user{extension}@kunde.example")
        return make_user(customer, extension=extension, package=package, **kw)
    return _make


def tone(freq: float = 440.0, seconds: float = 3.0, amplitude: float = 0.4) -> np.ndarray:
    t = np.arange(int(8000 * seconds)) / 8000
    return (amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def g711a(samples: np.ndarray) -> bytes:
    import io
    import soundfile as sf
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=8000, channels=1, format="RAW", subtype="ALAW") as f:
        f.write(samples)
    return buf.getvalue()


def speech(text: str, voice: str = "de") -> np.ndarray:
    """espeak-ng's speech (installed by scripts/setup.sh), at 8 kHz mono through the media pipeline."""
    import io
    import soundfile as sf
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is installed by scripts/setup.sh"
    import tempfile
    with tempfile.TemporaryDirectory() as folder:   # --stdout writes a WAV without lengths; -w a complete one
        out = f"{folder}/speech.wav"
        subprocess.run([espeak, "-v", voice, "-w", out, text], check=True, capture_output=True, timeout=30)
        wav = open(out, "rb").read()
    converted = audio.convert(wav, normalize=False, fade_ms=0)
    samples, _ = sf.read(io.BytesIO(converted.wav), dtype="int16")
    return samples


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    x, y = a[:n].astype(float), b[:n].astype(float)
    return float(np.corrcoef(x, y)[0, 1])

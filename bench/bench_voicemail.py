"""Benchmark: a 2-minute voicemail from the PBX's PUT to its mail in the outbox, against the bare minimum.

Console: a WebDAV PUT of a 2-minute .g711a (8 kHz A-law, 960 kB) into a mailbox folder of the PBX's store
(WsgiDAV in the console's WSGI app, through httpx's WSGI transport, so no network is timed), which writes a .part,
fsyncs, renames and commits the message's row; then the voicemail job (decode, 16-bit WAV, render and queue the
mail with the attachment). Caller name in the file name, so no directory lookup is timed.
Baseline: the same bytes written with open()/write()/fsync(), then converted by sox to the same WAV
(sox -t al -r 8000 -c 1 in.g711a -e signed -b 16 out.wav).

Prints absolute seconds (best and median of RUNS) and the ratio console / baseline. sox comes from `make
bench-deps`; without it only the write is the baseline.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

SECONDS = 120
RUNS = 5


def signal(seconds: float) -> np.ndarray:
    """Speech-like: a gliding voiced tone with harmonics, in syllables, with pauses."""
    t = np.arange(int(8000 * seconds)) / 8000
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / 8000
    voiced = sum((0.5 ** h) * np.sin(h * phase) for h in range(1, 12))
    syllables = (np.sin(2 * np.pi * 3.5 * t) > -0.2) * (np.mod(t, 4.0) < 3.2)
    return (0.4 * 32767 * voiced / np.max(np.abs(voiced)) * syllables).astype(np.int16)


def alaw(samples: np.ndarray, path: Path) -> bytes:
    sf.write(path, samples, 8000, format="RAW", subtype="ALAW")
    return path.read_bytes()


def stats(times: list[float]) -> str:
    return f"best {min(times):.3f} s, median {statistics.median(times):.3f} s"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-voicemail-"))
    os.environ.setdefault("CONSOLE_INSTANCE_DIR", str(tmp / "instance"))
    from console import create_app
    from console.accounts import services as accounts
    from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
    from console.auth.models import Login, Role
    from console.config import Settings
    from console.extensions import db
    from console.mail.models import OutboxMessage
    from console.voicemail import inbox, jobs

    data = alaw(signal(SECONDS), tmp / "src.g711a")
    print(f"input: {SECONDS // 60} min 8 kHz A-law, {len(data) / 1e3:.0f} kB")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'bench.db'}", secret_key="bench", log_format="text",
                              voicemail_dir=str(tmp / "voicemail"), ldap_url="ldap://127.0.0.1:1"))
    try:
        with app.app_context():
            db.create_all()
            staff = Login(role=Role.STAFF_ADMIN, email="bench@stimme.example", name="bench")
            reseller = accounts.save_reseller(None, name="Bench", notice_email="noc@bench.example")
            customer = accounts.create_customer(staff, reseller=reseller, name="Bench AG", pbx_name="pbx.bench",
                                                licence=LicenceKind.BASE, site_name="Zentrale", street="Weg 1",
                                                postcode="10115", city="Berlin")
            accounts.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                                provider_name=None, base_number="030 55500", first_extension="0",
                                last_extension="99")
            accounts.save_phone_user(None, pbx=customer.pbx, site=customer.pbx.sites[0], first_name="Bea",
                                     last_name="Bench", extension="21", package=Package.KLINGENDE,
                                     email="bea@bench.example")
            _row, token = inbox.issue_token(customer.pbx, "bench")
            db.session.commit()
        client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://console.bench",
                              auth=("pbx.bench", token))
        assert client.request("MKCOL", "/dav/pbx.bench/21/").status_code == 201

        console_times, put_times = [], []
        for n in range(RUNS):
            t0 = time.perf_counter()
            put = client.put(f"/dav/pbx.bench/21/msg-{n}-cgpn=0301234567&dn=Bench%20Anrufer.g711a", content=data)
            t1 = time.perf_counter()
            with app.app_context():
                assert put.status_code == 201 and jobs.process_stored() == 1
                size = db.session.get(OutboxMessage, n + 1).size
            console_times.append(time.perf_counter() - t0)
            put_times.append(t1 - t0)
        print(f"console PUT (stored, fsynced, row committed): {stats(put_times)}")
        print(f"console PUT to mail in the outbox:            {stats(console_times)}  (mail {size / 1e6:.2f} MB)")

        sox = shutil.which("sox")
        base_times, write_times = [], []
        for n in range(RUNS):
            target = tmp / f"plain-{n}.g711a"
            t0 = time.perf_counter()
            with open(target, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            t1 = time.perf_counter()
            if sox:
                subprocess.run([sox, "-t", "al", "-r", "8000", "-c", "1", str(target), "-e", "signed", "-b", "16",
                                str(tmp / f"plain-{n}.wav")], check=True)
            base_times.append(time.perf_counter() - t0)
            write_times.append(t1 - t0)
        print(f"baseline open()/write()/fsync():              {stats(write_times)}")
        if sox:
            print(f"baseline write + sox to 16-bit WAV:           {stats(base_times)}")
        else:
            print("sox: not installed (make bench-deps installs it); the baseline is the write alone")
        print(f"ratio PUT / write+fsync:                      {min(put_times) / min(write_times):.1f}x")
        print(f"ratio PUT-to-outbox / (write+fsync{' + sox' if sox else ''}):       "
              f"{min(console_times) / min(base_times):.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

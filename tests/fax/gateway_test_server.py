"""The fax gateway's side of docs/fax-gateway.md, for the tests: it talks real HTTP on loopback to the console
(served by werkzeug in a thread, `console_over_http`), pulls jobs, "dials" each by a script — sent, busy, no
answer, no fax tone, rejected, or the line drops after n pages — and reports every attempt; it also hands in
received faxes. What a real adapter (HylaFAX's notify/faxrcvd hooks, a T.38 gateway) would do, minus the phone.
"""
from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass, field

import requests
from PIL import Image
from werkzeug.serving import make_server


@contextlib.contextmanager
def console_over_http(app):
    """The console's WSGI app on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@dataclass(frozen=True)
class Dial:
    """What one attempt to a number does: `reason` None sends every page unless `pages` stops it earlier."""
    reason: str | None = None          # busy, no_answer, no_fax_tone, rejected, partial
    pages: int | None = None           # the line drops after this many pages (partial)
    station: str = "+49 89 5550100"
    seconds: int = 42


SENT = Dial()
BUSY = Dial(reason="busy", station="", seconds=0)
NO_ANSWER = Dial(reason="no_answer", station="", seconds=60)


def fails_after(pages: int) -> Dial:
    return Dial(reason="partial", pages=pages)


@dataclass
class GatewayTestServer:
    base_url: str
    token: str
    script: dict[str, list[Dial]] = field(default_factory=dict)   # destination E.164 → one Dial per attempt
    documents: list[Image.Image] = field(default_factory=list)     # page 1 of every job it fetched
    log: list[dict] = field(default_factory=list)

    @property
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def hand_in(self, *, called: str, calling: str, station: str, document: bytes, filename: str = "fax.tif"):
        """A received fax, as the gateway's faxrcvd hook posts it."""
        return requests.post(f"{self.base_url}/api/v1/fax/received", headers=self._auth, timeout=30,
                             data={"called": called, "calling": calling, "station": station},
                             files={"document": (filename, document, "application/octet-stream")})

    def poll_once(self) -> dict | None:
        """Claim one job, fetch its pages, dial by the script, report the attempt; None when nothing was due."""
        claimed = requests.post(f"{self.base_url}/api/v1/fax/jobs/claim", headers=self._auth, timeout=30)
        if claimed.status_code == 204:
            return None
        claimed.raise_for_status()
        job = claimed.json()
        fetched = requests.get(job["document"], headers=self._auth, timeout=30)
        fetched.raise_for_status()
        with Image.open(io.BytesIO(fetched.content)) as tiff:
            pages = tiff.n_frames
            tiff.seek(0)
            self.documents.append(tiff.copy())
        dial = (self.script.get(job["to"]) or [SENT]).pop(0) if self.script.get(job["to"]) else SENT
        sent = pages if dial.reason is None else min(dial.pages or 0, pages)
        result = {"attempt": job["attempt"], "ok": dial.reason is None, "pages_sent": sent,
                  "duration_s": dial.seconds, "remote_station": dial.station or None}
        if dial.reason:
            result["reason"] = dial.reason
        answer = requests.post(f"{self.base_url}/api/v1/fax/jobs/{job['id']}/result", headers=self._auth,
                               json=result, timeout=30)
        self.log.append({"job": job, "result": result, "status": answer.status_code, "answer": answer.json()})
        return self.log[-1]

"""The voicemail store over WebDAV with a PBX's valid store token: random paths (.., %2e, NUL, backslashes,
unicode, very long), methods, headers and PROPFIND bodies never get a 5xx, and nothing is read, written or
listed outside the PBX's own tree (the other PBX's file stays as it was and never shows in an answer)."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import example, given, strategies as st

from console.extensions import db
from console.voicemail import inbox, store
from tests.fuzz.conftest import bounded

SEGMENTS = st.one_of(
    st.sampled_from(["..", ".", "%2e%2e", "%2E.", "..%2f", "%00", "31", "heard", "31.wav", "greeting.wav", "",
                     ".part", "x.part", "..\\", "%c0%ae%c0%ae", "%ff", "%", "{b}", "{bid}", "dav", "~", ";", "?q"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    st.just("a" * 300))
METHODS = st.sampled_from(["GET", "HEAD", "PUT", "PROPFIND", "PROPPATCH", "MKCOL", "DELETE", "MOVE", "COPY",
                           "LOCK", "UNLOCK", "OPTIONS", "POST", "TRACE", "BREW"])
BODIES = st.one_of(
    st.just(b""), st.binary(max_size=100),
    st.sampled_from([b'<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>',
                     b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/></D:prop>'
                     b'</D:propfind>', b"<propfind", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
                     b'<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop><x>1</x></prop></set>'
                     b'</propertyupdate>', b"<a>" * 5000]))
SECRET = b"nur B"


@pytest.fixture
def two(app, configure, tmp_path, make_customer):
    configure(voicemail_dir=str(tmp_path / "voicemail"))
    a, b = make_customer().pbx, make_customer().pbx
    _row, token = inbox.issue_token(a, "Voicemail")
    db.session.flush()
    secret = store.resolve(b.id, "31/secret-b.txt")
    secret.parent.mkdir(parents=True)
    secret.write_bytes(SECRET)
    auth = "Basic " + base64.b64encode(f"{a.name}:{token}".encode()).decode()
    return app.test_client(), a, b, auth, tmp_path / "voicemail"


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@given(st.lists(SEGMENTS, max_size=6), METHODS, BODIES, st.lists(SEGMENTS, max_size=4),
       st.sampled_from(["0", "1", "infinity", "", "x"]), st.sampled_from([True, True, True, False]))
@example(["..", "{b}", "31", "secret-b.txt"], "GET", b"", [], "0", True)
@example(["%2e%2e", "{b}", "31", "secret-b.txt"], "PROPFIND", b"", [], "infinity", True)
@example(["31"], "MOVE", b"", ["..", "{b}", "31", "x"], "0", True)
@example(["31", "%00"], "PUT", b"x", [], "0", True)
@bounded(300)
def test_no_request_gets_a_5xx_or_reaches_outside_the_pbx_tree(two, segments, method, body, destination, depth,
                                                               own_name):
    client, a, b, auth, root = two
    fill = {"{b}": b.name, "{bid}": str(b.id)}
    path = "/".join(fill.get(s, s) for s in segments)
    base = f"/dav/{a.name}/" if own_name else "/dav/"
    headers = {"Authorization": auth, "Depth": depth, "Content-Type": "application/xml"}
    if method in ("MOVE", "COPY"):
        headers["Destination"] = "".join(("http://localhost" + base + "/".join(fill.get(s, s) for s in destination))
                                         .splitlines())   # a header value cannot hold a line break
    before = _files(root)
    response = client.open(base + path, method=method, data=body, headers=headers)
    db.session.expire_all()
    # RFC 4918 9.8.5/9.9.4: 502 is the answer for a COPY or MOVE whose Destination is outside the store
    assert response.status_code < 500 or (response.status_code == 502 and method in ("MOVE", "COPY")), \
        (method, base + path, response.status_code, response.get_data()[:300])
    assert SECRET not in response.get_data()
    if "{b}" not in segments + destination:   # an error page may echo the path it was asked for, nothing else
        assert b.name.encode() not in response.get_data(), (method, base + path, response.get_data()[:500])
    assert store.resolve(b.id, "31/secret-b.txt").read_bytes() == SECRET
    own = root / str(a.id)
    assert all(own in p.parents for p in _files(root) - before)
    assert _files(root / str(b.id)) == {store.resolve(b.id, "31/secret-b.txt")}

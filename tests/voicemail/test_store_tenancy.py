"""A PBX's credentials open its own store and nothing else: read, write, list, MOVE into another tree, and ../
tricks all fail with another PBX's tree, tested with a real WebDAV client and raw WebDAV requests."""
from __future__ import annotations

import pytest
from webdav4.client import HTTPError

from console.voicemail import inbox, store
from tests.voicemail.conftest import dav_client


@pytest.fixture
def two(make_customer, pbx_side, app):
    a, b = pbx_side(make_customer()), pbx_side(make_customer())
    b.dav.mkdir("31")
    assert b.put("31/secret-b.txt", b"nur B").status_code == 201
    a.dav.mkdir("31")
    return a, b


def test_own_store_works_for_every_verb_the_script_needs(two):
    a, _b = two
    assert a.put("31/notiz.txt", b"eigen").status_code == 201
    assert [e["name"] for e in a.dav.ls("31", detail=True)] == ["31/notiz.txt"]
    assert a.dav.http.get(a.dav.join_url("31/notiz.txt")).content == b"eigen"
    a.dav.move("31/notiz.txt", "31/umbenannt.txt")
    assert a.dav.exists("31/umbenannt.txt") and not a.dav.exists("31/notiz.txt")
    a.dav.remove("31/umbenannt.txt")
    assert a.dav.ls("31") == []


def test_a_pbx_cannot_read_write_or_list_another_pbx_store(two, app):
    a, b = two
    foreign = dav_client(app, b.pbx.name, a.token)   # B's URL and name, A's token
    assert foreign.http.get(foreign.join_url("31/secret-b.txt")).status_code == 401
    assert foreign.http.put(foreign.join_url("31/evil.txt"), content=b"x").status_code == 401
    assert foreign.http.request("PROPFIND", foreign.join_url(""), headers={"Depth": "1"}).status_code == 401
    assert foreign.http.request("MKCOL", foreign.join_url("neu")).status_code == 401
    assert foreign.http.request("DELETE", foreign.join_url("31/secret-b.txt")).status_code == 401
    with pytest.raises(HTTPError):
        foreign.ls("")
    # A's own name with A's token, but B's path: the realm is B's, A's credentials do not open it
    own = a.dav.http
    assert own.get(f"http://console.test/dav/{b.pbx.name}/31/secret-b.txt").status_code == 401
    assert store.resolve(b.pbx.id, "31/secret-b.txt").read_bytes() == b"nur B"
    assert not store.resolve(b.pbx.id, "31/evil.txt").exists()


@pytest.mark.parametrize("path", ["../{b}/31/secret-b.txt", "31/../../{b}/31/secret-b.txt",
                                  "%2e%2e/{b}/31/secret-b.txt", "31/%2e%2e/%2e%2e/{b}/31/secret-b.txt",
                                  "..%2f{b}%2f31%2fsecret-b.txt", "..\\{b}\\31\\secret-b.txt",
                                  "../../{bid}/dav/31/secret-b.txt", "31/.secret"])
def test_dot_dot_tricks_reach_nothing_of_another_tree(two, path):
    a, b = two
    url = f"http://console.test/dav/{a.pbx.name}/" + path.format(b=b.pbx.name, bid=b.pbx.id)
    response = a.dav.http.get(url)
    assert response.status_code in (401, 403, 404), (url, response.status_code)
    assert b"nur B" not in response.content


def test_move_into_another_pbx_tree_is_refused(two):
    a, b = two
    assert a.put("31/mein.txt", b"von A").status_code == 201
    for destination in (f"http://console.test/dav/{b.pbx.name}/31/mein.txt",
                        f"http://console.test/dav/{a.pbx.name}/../{b.pbx.name}/31/mein.txt"):
        response = a.dav.http.request("MOVE", a.dav.join_url("31/mein.txt"),
                                      headers={"Destination": destination, "Overwrite": "T"})
        assert response.status_code in (403, 404, 502), response.status_code
    assert store.resolve(a.pbx.id, "31/mein.txt").read_bytes() == b"von A"
    assert not store.resolve(b.pbx.id, "31/mein.txt").exists()


def test_a_revoked_or_wrong_token_and_a_wrong_name_are_refused(two, app):
    a, b = two
    assert dav_client(app, a.pbx.name, a.token + "x").http.get(
        f"http://console.test/dav/{a.pbx.name}/").status_code == 401
    row = next(t for t in inbox_tokens(a.pbx))
    inbox.revoke_token(row)
    assert a.dav.http.get(a.dav.join_url("")).status_code == 401


def inbox_tokens(pbx):
    from sqlalchemy import select
    from console.extensions import db
    from console.voicemail.models import VoicemailToken
    return db.session.scalars(select(VoicemailToken).where(VoicemailToken.pbx_id == pbx.id))

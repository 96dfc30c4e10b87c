"""The URLs the PBX fetches from (`/pbx-media/<token>/<slug>.$coder`): the right bytes per coder, the standard
hold music until a PBX has its own, a wrong token or another PBX's item is 404, and conditional requests."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.media import jobs, services
from console.media.models import MediaItem, MediaKind, MediaTarget
from console.media.standard import ensure_standard_hold_music
from tests.media import audiogen as ag
from tests.media.conftest import decode_raw


def _ready_item(pbx, freq: float, **kw) -> MediaItem:
    kw.setdefault("kind", MediaKind.HOLD_MUSIC)
    kw.setdefault("name", f"Ton {freq:g}")
    item = services.create_item(pbx, **kw)
    services.add_version("test", item, ag.wav_bytes(ag.sine(freq, 2.0, 16000), 16000), "ton.wav")
    jobs.convert_pending()
    return item


def _tone(data: bytes, subtype: str = "ALAW") -> float:
    return ag.dominant_frequency(decode_raw(data, subtype), 8000)


@pytest.fixture
def pbx_a(make_customer):
    return make_customer(name="Serving A").pbx


def test_right_bytes_per_coder(pbx_a, browser, media_dir):
    item = _ready_item(pbx_a, 700)
    version = item.active_version
    secret = services.media_token(pbx_a).url_secret
    for coder, mimetype in (("g711a", "application/octet-stream"), ("g711u", "application/octet-stream"),
                            ("wav", "audio/wav")):
        response = browser.get(f"/pbx-media/{secret}/{item.slug}.{coder}")
        assert response.status_code == 200, coder
        assert response.mimetype == mimetype
        assert response.data == (media_dir / version.path_for(coder)).read_bytes()
    a = browser.get(f"/pbx-media/{secret}/{item.slug}.g711a").data
    u = browser.get(f"/pbx-media/{secret}/{item.slug}.g711u").data
    assert a != u and len(a) == len(u) == 16000   # headerless: one byte per sample
    assert _tone(a, "ALAW") == pytest.approx(700, abs=3) and _tone(u, "ULAW") == pytest.approx(700, abs=3)


def test_wrong_token_unknown_slug_or_coder_is_404(pbx_a, browser):
    item = _ready_item(pbx_a, 700)
    secret = services.media_token(pbx_a).url_secret
    assert browser.get(f"/pbx-media/{secret}/{item.slug}.g711a").status_code == 200
    wrong = secret[:-1] + ("y" if secret[-1] != "y" else "z")   # one character off
    assert browser.get(f"/pbx-media/{wrong}/{item.slug}.g711a").status_code == 404
    assert browser.get(f"/pbx-media/{secret}/nichtda.g711a").status_code == 404
    assert browser.get(f"/pbx-media/{secret}/{item.slug}.g729").status_code == 404
    assert browser.get(f"/pbx-media/{secret}/{item.slug}.mp3").status_code == 404


def test_another_pbx_never_gets_this_pbxs_items(pbx_a, make_customer, browser):
    pbx_b = make_customer(name="Serving B").pbx
    _ready_item(pbx_a, 500)
    b_music = _ready_item(pbx_b, 900)
    b_announcement = _ready_item(pbx_b, 1200, kind=MediaKind.ANNOUNCEMENT, target=MediaTarget.OPERATOR,
                                 name="Ansage Zentrale")
    secret_a = services.media_token(pbx_a).url_secret
    secret_b = services.media_token(pbx_b).url_secret
    assert secret_a != secret_b
    # Same slug, each PBX its own music.
    assert _tone(browser.get(f"/pbx-media/{secret_a}/moh.g711a").data) == pytest.approx(500, abs=3)
    assert _tone(browser.get(f"/pbx-media/{secret_b}/{b_music.slug}.g711a").data) == pytest.approx(900, abs=3)
    # B's announcement under A's token does not exist.
    assert browser.get(f"/pbx-media/{secret_b}/{b_announcement.slug}.g711a").status_code == 200
    assert browser.get(f"/pbx-media/{secret_a}/{b_announcement.slug}.g711a").status_code == 404


def test_standard_hold_music_until_the_pbx_has_its_own(pbx_a, browser):
    assert ensure_standard_hold_music() is True
    assert ensure_standard_hold_music() is False   # idempotent
    assert db.session.scalar(select(func.count(MediaItem.id)).where(MediaItem.pbx_id.is_(None))) == 1
    secret = services.media_token(pbx_a).url_secret
    standard = browser.get(f"/pbx-media/{secret}/moh.g711a")
    assert standard.status_code == 200
    music = decode_raw(standard.data, "ALAW")
    assert 25 < len(music) / 8000 < 40 and ag.rms_dbfs(music) > -25   # half a minute, clearly audible
    assert browser.get(f"/pbx-media/{secret}/other.g711a").status_code == 404   # only the hold music slug

    _ready_item(pbx_a, 600)
    own = browser.get(f"/pbx-media/{secret}/moh.g711a")
    assert _tone(own.data) == pytest.approx(600, abs=3)
    assert own.headers["ETag"] != standard.headers["ETag"]


def test_conditional_requests_get_304(pbx_a, browser):
    item = _ready_item(pbx_a, 700)
    url = f"/pbx-media/{services.media_token(pbx_a).url_secret}/{item.slug}.g711a"
    first = browser.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert not etag.startswith("W/"), "strong ETag"
    assert "no-cache" in first.headers["Cache-Control"]
    again = browser.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert browser.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert browser.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert browser.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status_code == 200


def test_a_new_token_locks_the_old_urls_out(pbx_a, browser, make_login, signed_in):
    from console.auth.models import Role
    item = _ready_item(pbx_a, 700)
    old = services.media_token(pbx_a).url_secret
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=pbx_a.customer))
    assert admin.post(f"/customers/{pbx_a.customer_id}/media/token").status_code == 303
    new = services.media_token(pbx_a).url_secret
    assert new != old
    assert browser.get(f"/pbx-media/{old}/{item.slug}.g711a").status_code == 404
    assert browser.get(f"/pbx-media/{new}/{item.slug}.g711a").status_code == 200


def test_the_address_the_page_shows_plays_the_uploaded_sound(make_customer, make_login, signed_in, browser):
    """Issue 12, point 6: the URL on the media page, entered in the PBX as shown, answers with the audio; it is
    the same on every view, exists from the PBX's creation on, and looking at the page writes nothing."""
    import re
    from sqlalchemy import event

    from console.auth.models import Role
    from tests.media.conftest import upload_new

    customer = make_customer(name="Adresse GmbH")
    from console.media.models import PbxMediaToken
    assert db.session.get(PbxMediaToken, customer.pbx.id) is not None   # made with the PBX, before anyone looked
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    upload_new(admin, customer.id, ag.wav_bytes(ag.sine(700, 2.0, 16000), 16000), "ton.wav")
    jobs.convert_pending()

    writes = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        pages = [admin.get(f"/customers/{customer.id}/media").get_data(as_text=True) for _ in range(2)]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []
    shown = [re.findall(r'<code class="pbx-url">([^<]+/moh\.\$coder[^<]*)</code>', p.replace("&amp;", "&"))
             for p in pages]
    assert len(shown[0]) == 1 and shown[0] == shown[1]
    url = shown[0][0]
    assert url.startswith("http") and url.endswith("/moh.$coder?coder=g711a,g711u")
    for coder, subtype in (("g711a", "ALAW"), ("g711u", "ULAW")):
        response = browser.get(url.replace("$coder", coder))   # the PBX: no session, the exact URL
        assert response.status_code == 200, coder
        assert len(response.data) == 16000
        assert _tone(response.data, subtype) == pytest.approx(700, abs=3)

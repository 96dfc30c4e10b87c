"""The media library as a customer admin uses it: upload through the page, refusal of bad files with nothing
left behind, the conversion job, listening, activation and re-activation, and who may do what."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.media import jobs, services
from console.media.models import MediaItem, MediaKind, MediaVersion, VersionState
from tests.media import audiogen as ag
from tests.media.conftest import decode_raw, row_counts, upload_new, upload_version


def _versions() -> list[MediaVersion]:
    return list(db.session.scalars(select(MediaVersion).order_by(MediaVersion.id)))


def _served(browser, secret: str, slug: str, coder: str = "g711a"):
    return browser.get(f"/pbx-media/{secret}/{slug}.{coder}")


# --- refusals --------------------------------------------------------------------------------------------------

def _truncated_mp3() -> bytes:
    data = ag.mp3_bytes(ag.tune(6.0, 44100, 2), 44100)
    return data[:int(len(data) * 0.6) + 7]


BAD_FILES = {
    "text renamed .mp3": (lambda: b"Dies ist keine Musik, sondern ein Text.\n" * 200, "musik.mp3", {},
                          "neither MP3 nor WAV"),
    "truncated MP3": (_truncated_mp3, "musik.mp3", {}, "incomplete"),
    "WAV with a lying header": (lambda: ag.wav_with_sizes(ag.wav_bytes(ag.tune(3.0, 16000), 16000),
                                                          data_size=10_000_000), "musik.wav", {}, "incomplete"),
    "0-byte file": (lambda: b"", "leer.wav", {}, "empty"),
    "over-long announcement": (lambda: ag.wav_bytes(ag.sine(440, 130.0, 8000, amplitude=0.3), 8000, "ALAW"),
                               "ansage.wav", {"kind": "announcement", "target": "operator"}, "at most 2:00 minutes"),
    "silent": (lambda: ag.wav_bytes(ag.silence(5.0, 44100, 2), 44100), "still.wav", {}, "no audible sound"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_refused_upload_says_why_and_leaves_nothing_behind(tenant, files_in, case):
    make, filename, fields, message = BAD_FILES[case]
    t = tenant()
    before_rows, before_files = row_counts(), files_in()
    response = upload_new(t.browser, t.customer.id, make(), filename, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert row_counts() == before_rows, "a refused upload left a row"
    assert files_in() == before_files, "a refused upload left a file"


def test_refusal_is_in_the_users_language(tenant):
    t = tenant(language="de")
    body = upload_new(t.browser, t.customer.id, b"kein Audio" * 100, "x.mp3").get_data(as_text=True)
    assert "weder MP3 noch WAV" in body


def test_a_refused_new_version_leaves_the_item_as_it_was(tenant, files_in):
    t = tenant()
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav")
    item = db.session.scalar(select(MediaItem).where(MediaItem.pbx_id == t.pbx.id))
    before_rows, before_files = row_counts(), files_in()
    body = upload_version(t.browser, item.id, ag.wav_bytes(ag.silence(3.0, 8000), 8000)).get_data(as_text=True)
    assert "no audible sound" in body
    assert row_counts() == before_rows and files_in() == before_files


def test_announcement_for_a_group_needs_the_group(tenant):
    t = tenant()
    body = upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 8000), 8000), "a.wav",
                      kind="announcement", target="group").get_data(as_text=True)
    assert "Name the group" in body
    assert row_counts() == (0, 0)


# --- upload, conversion, serving ---------------------------------------------------------------------------------

def test_upload_page_shows_progress_and_works_without_javascript(tenant, app):
    t = tenant()
    body = t.browser.get(f"/customers/{t.customer.id}/media").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in body and 'hx-encoding="multipart/form-data"' in body
    assert "<progress" in body and 'src="/static/media-upload.js"' in body
    assert "htmx:xhr:progress" in t.browser.get("/static/media-upload.js").get_data(as_text=True)


def test_upload_convert_and_serve_end_to_end(tenant, browser, files_in):
    t = tenant()
    mp3 = ag.mp3_bytes(ag.sine(1000, 4.0, 44100, 2, amplitude=0.4), 44100)
    response = upload_new(t.browser, t.customer.id, mp3, "Sommer.mp3")
    assert response.status_code == 303
    [version] = _versions()
    assert version.state is VersionState.PENDING and not version.active
    assert services.read_file(version.original_path) == mp3   # stored as uploaded, before any processing
    assert version.uploaded_by.endswith(f"<{t.admin.email}>")
    page = t.browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "waiting for conversion" in page and 'hx-trigger="every 2s"' in page

    assert jobs.convert_pending() == 1
    db.session.refresh(version)
    assert version.state is VersionState.READY and version.active   # the first version plays at once
    assert version.duration_seconds == pytest.approx(4.0, rel=0.01)
    assert version.g711a_bytes == version.g711u_bytes == round(version.duration_seconds * 8000)

    fragment = t.browser.get(f"/media/versions/{version.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 2s" not in fragment and "<audio" in fragment and "<html" not in fragment
    preview = t.browser.get(f"/media/versions/{version.id}/audio.wav")
    assert preview.status_code == 200 and preview.mimetype == "audio/wav" and preview.data[:4] == b"RIFF"

    secret = services.media_token(t.pbx).url_secret
    page = t.browser.get(f"/customers/{t.customer.id}/media").get_data(as_text=True)
    assert f"/pbx-media/{secret}/moh.$coder" in page
    served = _served(browser, secret, "moh")   # the PBX, not signed in
    assert served.status_code == 200 and served.mimetype == "application/octet-stream"
    tone = decode_raw(served.data, "ALAW")
    assert len(tone) / 8000 == pytest.approx(4.0, rel=0.01)
    assert ag.dominant_frequency(tone, 8000) == pytest.approx(1000, abs=3)
    assert ag.dominant_frequency(decode_raw(_served(browser, secret, "moh", "g711u").data, "ULAW"), 8000) \
        == pytest.approx(1000, abs=3)


def test_a_file_damaged_in_the_store_fails_with_a_reason_and_the_rest_converts(tenant, media_dir):
    t = tenant()
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav", name="Eins")
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(660, 2.0, 16000), 16000), "b.wav", name="Zwei")
    damaged, good = _versions()
    (media_dir / damaged.original_path).write_bytes(b"\x00" * 5000)
    assert jobs.convert_pending() == 2
    db.session.refresh(damaged)
    db.session.refresh(good)
    assert damaged.state is VersionState.FAILED and damaged.failure_reason == "unreadable"
    assert (media_dir / damaged.original_path).exists(), "the original is kept"
    assert good.state is VersionState.READY
    page = t.browser.get(f"/customers/{t.customer.id}/media").get_data(as_text=True)
    assert "refused" in page and "neither MP3 nor WAV" in page


def test_activation_and_reactivation_change_what_the_pbx_gets(tenant, browser):
    t = tenant()
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav")
    jobs.convert_pending()
    item = db.session.scalar(select(MediaItem).where(MediaItem.pbx_id == t.pbx.id))
    upload_version(t.browser, item.id, ag.wav_bytes(ag.sine(880, 2.0, 16000), 16000))
    jobs.convert_pending()
    first, second = _versions()
    secret = services.media_token(t.pbx).url_secret

    def tone() -> float:
        return ag.dominant_frequency(decode_raw(_served(browser, secret, item.slug).data, "ALAW"), 8000)

    assert first.active and not second.active, "a new version waits until someone activates it"
    assert tone() == pytest.approx(440, abs=3)
    old_etag = _served(browser, secret, item.slug).headers["ETag"]

    assert t.browser.post(f"/media/versions/{second.id}/activate").status_code == 303
    assert tone() == pytest.approx(880, abs=3)
    assert _served(browser, secret, item.slug).headers["ETag"] != old_etag
    page = t.browser.get(f"/customers/{t.customer.id}/media").get_data(as_text=True)
    assert "Re-activate" in page   # the first one was active before

    t.browser.post(f"/media/versions/{first.id}/activate")
    assert tone() == pytest.approx(440, abs=3)
    assert [v.active for v in _versions()] == [True, False]


def test_a_version_that_is_not_converted_cannot_be_activated(tenant):
    t = tenant()
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav")
    [version] = _versions()
    response = t.browser.post(f"/media/versions/{version.id}/activate")
    assert response.status_code == 303
    db.session.refresh(version)
    assert not version.active


# --- who may do what ----------------------------------------------------------------------------------------------

def test_staff_uploads_on_behalf_and_resellers_only_view(tenant, make_login, signed_in):
    t = tenant()
    staff = signed_in(make_login(Role.STAFF_SUPPORT))
    assert upload_new(staff, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav").status_code \
        == 303
    [version] = _versions()
    assert "staff_support login" in version.uploaded_by
    reseller = signed_in(make_login(Role.RESELLER, reseller=t.customer.reseller))
    page = reseller.get(f"/customers/{t.customer.id}/media")
    assert page.status_code == 200 and "Sommer" in page.get_data(as_text=True)
    assert "/media/new" not in page.get_data(as_text=True) and "/activate" not in page.get_data(as_text=True)
    assert upload_new(reseller, t.customer.id, b"x", "a.wav").status_code == 403
    assert reseller.post(f"/media/versions/{version.id}/activate").status_code == 403


def test_another_customers_library_and_versions_are_not_reachable(tenant):
    a, b = tenant("A"), tenant("B")
    upload_new(b.browser, b.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "b.wav", name="Geheim")
    jobs.convert_pending()
    [version] = _versions()
    assert a.browser.get(f"/customers/{b.customer.id}/media").status_code == 404
    assert a.browser.get(f"/media/versions/{version.id}").status_code == 404
    assert a.browser.get(f"/media/versions/{version.id}/audio.wav").status_code == 404
    assert a.browser.post(f"/media/versions/{version.id}/activate").status_code == 404
    assert upload_version(a.browser, version.item_id, b"x").status_code == 404
    assert "Geheim" not in a.browser.get(f"/customers/{a.customer.id}/media").get_data(as_text=True)


def test_end_users_have_no_media_library(tenant, make_user, make_login, signed_in):
    t = tenant()
    user = signed_in(make_login(Role.END_USER, phone_user=make_user(t.customer)))
    assert user.get(f"/customers/{t.customer.id}/media").status_code == 403


def test_items_get_stable_slugs(tenant):
    t = tenant()
    first = services.create_item(t.pbx, kind=MediaKind.HOLD_MUSIC, name="Sommer")
    second = services.create_item(t.pbx, kind=MediaKind.HOLD_MUSIC, name="Weihnachten Ökö")
    third = services.create_item(t.pbx, kind=MediaKind.HOLD_MUSIC, name="Weihnachten Ökö")
    assert (first.slug, second.slug, third.slug) == ("moh", "weihnachten-oekoe", "weihnachten-oekoe-2")


def test_a_file_over_the_configured_size_is_refused(tenant, app, monkeypatch, files_in):
    settings = app.extensions["settings"]
    monkeypatch.setitem(app.extensions, "settings", dataclasses.replace(settings, media_max_bytes=100_000))
    t = tenant()
    before = files_in()
    body = upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.tune(10.0, 16000), 16000), "gross.wav")
    assert "at most 97.7 kB is accepted" in body.get_data(as_text=True)
    assert row_counts() == (0, 0) and files_in() == before


def test_the_cli_converts_without_the_scheduler(tenant, app):
    t = tenant()
    upload_new(t.browser, t.customer.id, ag.wav_bytes(ag.sine(440, 2.0, 16000), 16000), "a.wav")
    result = app.test_cli_runner().invoke(args=["media", "convert-pending"])
    assert result.exit_code == 0 and "1 version(s)" in result.output
    [version] = _versions()
    db.session.refresh(version)
    assert version.state is VersionState.READY and version.active


def test_loudness_is_evened_out_unless_switched_off(tenant, browser):
    t = tenant()
    quiet = ag.wav_bytes(ag.sine(440, 3.0, 16000, amplitude=ag.db_to_amp(-40)), 16000)   # RMS about -43 dBFS
    upload_new(t.browser, t.customer.id, quiet, "leise.wav")
    item = db.session.scalar(select(MediaItem).where(MediaItem.pbx_id == t.pbx.id))
    upload_version(t.browser, item.id, quiet, normalize=False)
    jobs.convert_pending()
    evened, kept = _versions()
    assert evened.normalize and not kept.normalize
    secret = services.media_token(t.pbx).url_secret
    assert ag.rms_dbfs(decode_raw(_served(browser, secret, item.slug).data, "ALAW")) == pytest.approx(-16, abs=1.5)
    assert evened.gain_db > 20
    t.browser.post(f"/media/versions/{kept.id}/activate")
    assert ag.rms_dbfs(decode_raw(_served(browser, secret, item.slug).data, "ALAW")) == pytest.approx(-43, abs=1.5)

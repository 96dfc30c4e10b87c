"""The conversion job in the one job shape: a version shows CONVERTING while it is decoded, the console stays
writable meanwhile, a refusal is worded in the reader's language from its stored code, and page views of the
library change nothing in the database."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text

from console import create_app
from console.auth.models import Role
from console.config import Settings
from console.extensions import db
from console.media import audio, jobs, services
from console.media.models import MediaItem, MediaKind, MediaVersion, VersionState
from tests.media import audiogen as ag
from tests.media.conftest import upload_new


@pytest.mark.no_db
def test_while_a_version_is_decoded_others_see_converting_and_can_write(tmp_path, monkeypatch):
    path = tmp_path / "console.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="test", log_format="text",
                              media_dir=str(tmp_path / "media")))
    with app.app_context():
        db.create_all()
        item = MediaItem(pbx_id=None, kind=MediaKind.HOLD_MUSIC, name="Standard", slug="moh")
        db.session.add(item)
        db.session.flush()
        services.add_version("test", item, ag.wav_bytes(ag.tune(2.0, 16000), 16000), "musik.wav")
        db.session.commit()

    seen_meanwhile = []
    decode = audio.inspect_and_convert

    def decode_and_look(*args, **kwargs):
        # another connection (the console's web process, say) at the moment the job decodes
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            seen_meanwhile.append(other.execute("SELECT state FROM media_version").fetchone()[0])
            other.execute("BEGIN IMMEDIATE")   # fails at once with "database is locked" if the job held the lock
            other.execute("UPDATE media_item SET name = 'Renamed meanwhile'")
            other.execute("COMMIT")
        finally:
            other.close()
        return decode(*args, **kwargs)

    monkeypatch.setattr(audio, "inspect_and_convert", decode_and_look)
    with app.app_context():
        assert jobs.convert_pending() == 1
        db.session.remove()
        version = db.session.scalars(select(MediaVersion)).one()
        assert seen_meanwhile == ["converting"]
        assert version.state is VersionState.READY and version.active
        assert version.item.name == "Renamed meanwhile"
        db.session.remove()
        db.engine.dispose()


def test_a_refusal_is_stored_as_a_code_and_reads_in_each_language(tenant, media_dir, make_login, signed_in):
    a = tenant()
    assert upload_new(a.browser, a.customer.id, ag.wav_bytes(ag.tune(3.0, 16000), 16000), "musik.wav") \
        .status_code == 303
    version = db.session.scalars(select(MediaVersion)).one()
    # the store holds something else than was checked at upload: the job refuses it
    services.absolute(version.original_path).write_bytes(b"RIFF\x24\0\0\0WAVE")
    assert jobs.convert_pending() == 1
    db.session.refresh(version)
    assert (version.state, version.failure_reason, version.failure_code) == (VersionState.FAILED, "truncated",
                                                                           "truncated")
    assert version.failure_params == {"kind": "WAV", "why": "riff_longer", "declared": 44, "actual": 12}
    english = a.browser.get(f"/media/versions/{version.id}").get_data(as_text=True)
    assert "The WAV file is incomplete or damaged: the RIFF header announces 44 bytes but the file has only " \
           "12." in english
    german = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=a.customer, language="de"))
    page = german.get(f"/media/versions/{version.id}").get_data(as_text=True)
    assert "Die WAV-Datei ist unvollständig oder beschädigt: der Dateikopf (RIFF) gibt 44 Bytes an, die Datei " \
           "hat aber nur 12." in page


def _everything() -> dict:
    """Every row of every table, to compare before and after."""
    tables = inspect(db.session.connection()).get_table_names()
    return {t: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{t}"')).all())) for t in tables}


def test_viewing_the_library_changes_nothing_in_the_database(tenant, media_dir):
    a = tenant()
    assert upload_new(a.browser, a.customer.id, ag.wav_bytes(ag.tune(3.0, 16000), 16000), "musik.wav") \
        .status_code == 303
    jobs.convert_pending()
    version = db.session.scalars(select(MediaVersion)).one()
    secret = services.media_token(a.pbx).url_secret
    db.session.commit()
    before = _everything()
    for url in (f"/customers/{a.customer.id}/media", f"/media/versions/{version.id}",
                f"/media/versions/{version.id}/audio.wav", f"/pbx-media/{secret}/{version.item.slug}.g711a"):
        assert a.browser.get(url).status_code == 200, url
    db.session.expire_all()
    after = _everything()
    changed = [t for t in before if before[t] != after[t]]
    assert not changed


def test_a_conversion_that_died_with_its_job_is_taken_again_a_few_times_then_refused(tenant, media_dir, freeze):
    start = freeze(datetime(2026, 12, 2, 9, tzinfo=timezone.utc))
    a = tenant()
    for name in ("Sommer", "Winter"):
        assert upload_new(a.browser, a.customer.id, ag.wav_bytes(ag.tune(2.0, 16000), 16000), "musik.wav",
                          name=name).status_code == 303
    summer, winter = db.session.scalars(select(MediaVersion).order_by(MediaVersion.id)).all()
    # as a job leaves them when its process is killed while decoding
    for version, attempts in ((summer, 1), (winter, services.MAX_CONVERSION_ATTEMPTS)):
        version.state, version.claimed_at, version.attempts = VersionState.CONVERTING, start, attempts
    db.session.commit()

    assert jobs.convert_pending() == 0   # still converting, as far as anyone can tell
    freeze(start + services.STALE_CONVERSION + timedelta(minutes=1))
    assert jobs.convert_pending() == 2
    db.session.refresh(summer)
    db.session.refresh(winter)
    assert summer.state is VersionState.READY and summer.attempts == 2
    assert (winter.state, winter.failure_code) == (VersionState.FAILED, "conversion_error")
    page = a.browser.get(f"/media/versions/{winter.id}").get_data(as_text=True)
    assert "The conversion failed; please upload the file again or ask stimme support." in page

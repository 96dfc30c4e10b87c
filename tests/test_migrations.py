"""Migrations are the only way the schema changes: they build it from empty, and they agree with the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from console import create_app
from console.config import Settings
from console.extensions import db
from tests.mail.servers import own_database

pytestmark = pytest.mark.no_db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    with own_database(database_url, tmp_path, "migration_test") as url:
        yield url


def test_upgrade_from_empty_builds_exactly_the_models(empty_database_url):
    app = create_app(Settings(database_url=empty_database_url, secret_key="t", log_format="text"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "models and migrations disagree; run `flask db migrate`"
        tables = set(inspect(db.engine).get_table_names())
        assert {"reseller", "customer", "pbx", "site", "trunk", "phone_user", "login", "audit_entry"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_refusals_stored_in_two_languages_become_reason_codes(empty_database_url):
    """media_reason01: a version refused before it kept German and English sentences; it reads on afterwards,
    in either language, from the code its reason maps to."""
    from sqlalchemy import text

    from console.media.rejections import describe
    app = create_app(Settings(database_url=empty_database_url, secret_key="t", log_format="text"))
    with app.app_context():
        upgrade(revision="mail_sender01")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO media_item (id, kind, name, slug, created_at) "
                              "VALUES (1, 'hold_music', 'Alt', 'moh', CURRENT_TIMESTAMP)"))
            for number, reason in ((1, "truncated"), (2, "empty"), (3, None)):
                conn.execute(text(
                    "INSERT INTO media_version (item_id, number, state, active, original_name, original_format, "
                    "original_path, original_bytes, normalize, uploaded_by, uploaded_at, failure_reason, "
                    "failure_detail) VALUES (1, :n, :state, false, 'a.wav', 'wav', 'x', 1, true, 'test', "
                    "CURRENT_TIMESTAMP, :reason, :detail)"),
                    {"n": number, "state": "failed" if reason else "pending", "reason": reason,
                     "detail": '{"de": "Alt", "en": "Old"}' if reason else None})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT number, failure_code, failure_params FROM media_version "
                                     "ORDER BY number")).all()
        assert [(r.number, r.failure_code, r.failure_params) for r in rows] == [
            (1, "refused_truncated", None), (2, "empty", None), (3, None, None)]
        assert describe("refused_truncated", None, "de").startswith("Die Datei ist unvollständig oder beschädigt.")
        assert describe("empty", None, "en").startswith("The file is empty (0 bytes).")
        downgrade(revision="base")
        db.engine.dispose()

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

"""Migrations are the only way the schema changes: they build it from empty, and they agree with the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from console import create_app
from console.config import Settings
from console.extensions import db

pytestmark = pytest.mark.no_db
SCHEMA = "migration_test"


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new schema in the PostgreSQL test database."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    from sqlalchemy import create_engine
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


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

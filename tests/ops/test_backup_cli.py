"""The backup as staff run it: `flask --app app backup create`, the scheduled job, and retention."""
from __future__ import annotations

from datetime import timedelta

import flask_migrate
import pytest
from flask import g

from console import clock
from console.ops import backup, jobs
from tests.ops.instances import installation

pytestmark = pytest.mark.no_db


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    made = installation(tmp_path_factory.mktemp("backup-cli"), "cli")
    with made.app.app_context():
        flask_migrate.upgrade()
    yield made
    made.close()


@pytest.fixture
def backups(console, tmp_path):
    """An empty backup folder for this test."""
    folder = tmp_path / "archives"
    with console.app.app_context():
        yield folder
    clock.set_now(None)


def test_the_command_writes_an_archive_and_says_where(console, backups):
    result = console.app.test_cli_runner().invoke(args=["backup", "create", "--to", str(backups)])
    assert result.exit_code == 0, result.output
    [written] = backups.glob("stimme-backup-*.tar")
    assert f"Sicherung geschrieben: {written}" in result.output


def test_restore_of_a_missing_archive_is_a_clear_error(console, backups):
    result = console.app.test_cli_runner().invoke(args=["backup", "restore", str(backups / "nichts.tar")])
    assert result.exit_code == 1
    assert "Unter" in result.output and "liegt kein Archiv" in result.output


def test_the_scheduled_job_backs_up_when_the_newest_archive_is_a_day_old(console, backups, monkeypatch):
    import dataclasses
    settings = dataclasses.replace(console.app.extensions["settings"], backup_dir=str(backups))
    monkeypatch.setitem(console.app.extensions, "settings", settings)
    start = clock.now()
    g.locale = "en"
    jobs.backup_when_due()
    assert len(backup.existing()) == 1
    clock.set_now(start + timedelta(hours=23))
    jobs.backup_when_due()
    assert len(backup.existing()) == 1, "a second backup within the day"
    clock.set_now(start + timedelta(hours=25))
    jobs.backup_when_due()
    assert len(backup.existing()) == 2


def test_retention_keeps_n_days_and_always_the_newest(console, backups):
    start = clock.now()
    clock.set_now(start - timedelta(days=20))
    oldest = backup.create(backups)
    clock.set_now(start - timedelta(days=3))
    recent = backup.create(backups)
    clock.set_now(start)
    assert backup.prune(14, backups) == [oldest]
    assert [b.path for b in backup.existing(backups)] == [recent]
    clock.set_now(start + timedelta(days=40))
    assert backup.prune(14, backups) == [], "the only archive left must stay, however old"

"""A real scheduler process is down over an announcement's due time, then comes back (and is replaced):
the notice that is still in time goes out once; the one whose one-week deadline passed is flagged, not sent."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from console import clock, create_app
from console.config import Settings
from console.extensions import db
from tests.conftest import berlin
from tests.mail.servers import own_database, wait_for

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]


@pytest.fixture
def world(database_url, tmp_path):
    """A migrated database of its own with one reseller, a staff login and two planned windows."""
    with own_database(database_url, tmp_path, "maintenance_scheduler") as url:
        app = create_app(Settings(database_url=url, secret_key="t", log_format="text"))
        with app.app_context():
            upgrade()
            from console.accounts import services as accounts
            from console.auth.models import Login, Role
            from console.auth.services import save_login
            from console.maintenance import services
            from console.maintenance.models import WindowKind
            clock.set_now(berlin(2026, 11, 30, 10))
            try:
                accounts.save_reseller(None, name="Nord", notice_email="noc@nord.example")
                save_login(Login(role=Role.STAFF_ADMIN, email="x", name="x"), None, email="ops@stimme.example",
                           name="Ops", role=Role.STAFF_ADMIN, password="long enough password")
                plan = dict(actor_label="test", kind=WindowKind.REGULAR, reason=None, pbxs=[], title_de="Update",
                            title_en="Update", announce_at=berlin(2026, 12, 1, 9))
                in_time = services.schedule(starts_at=berlin(2026, 12, 14, 22), ends_at=berlin(2026, 12, 15, 1),
                                            **plan)
                too_late = services.schedule(starts_at=berlin(2026, 12, 8, 22), ends_at=berlin(2026, 12, 9, 1),
                                             **plan)
                db.session.commit()
                ids = in_time.id, too_late.id
            finally:
                clock.set_now(None)
        yield app, url, ids
        with app.app_context():
            db.engine.dispose()


def _state(app):
    from console.mail.models import OutboxMessage
    from console.maintenance.models import MaintenanceWindow
    with app.app_context():
        db.session.remove()
        windows = {w.id: w.state.value for w in db.session.scalars(select(MaintenanceWindow))}
        keys = sorted(m.key.split(":")[2] + ":" + m.recipient for m in db.session.scalars(select(OutboxMessage)))
        db.session.remove()
        return windows, keys


def test_notices_fall_due_while_the_scheduler_is_down(world, tmp_path):
    app, url, (in_time, too_late) = world
    clock_file = tmp_path / "now"
    # the scheduler was down from before 1 December 09:00 (both announcements due) until 2 December 12:00:
    # the window on 8 December can no longer be announced a week ahead, the one on 14 December still can
    clock_file.write_text(berlin(2026, 12, 2, 12).isoformat())
    env = {**os.environ, "DATABASE_URL": url, "CONSOLE_INSTANCE_DIR": str(tmp_path), "LOG_FORMAT": "text",
           "MAINTENANCE_CLOCK_FILE": str(clock_file), "PYTHONPATH": str(ROOT)}
    command = FLASK + ["scheduler", "--jobs", "tests.maintenance.clockjob:JOBS", "--poll", "0.2"]

    def spawn(name: str) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=(tmp_path / name).open("w"),
                                stderr=subprocess.STDOUT)

    def settled():
        windows, keys = _state(app)
        return (windows, keys) if windows[too_late] == "missed" and keys else None

    processes = [spawn("first.log")]
    try:
        windows, keys = wait_for(settled)
        assert windows == {in_time: "announced", too_late: "missed"}
        assert keys == ["announcement:noc@nord.example", "missed:ops@stimme.example"]
        processes[0].send_signal(signal.SIGKILL)  # the scheduler dies; another one takes over
        processes[0].wait(10)
        clock_file.write_text((berlin(2026, 12, 2, 12) + timedelta(minutes=5)).isoformat())
        processes.append(spawn("second.log"))
        wait_for(lambda: "leading" in (tmp_path / "second.log").read_text())
        time.sleep(2.5)  # two more ticks: a notice sent twice would show now
        assert _state(app) == (windows, keys)
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
                p.wait(10)

"""One scheduler leads; killed while work is due, another takes over and the work is done exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from console.jobs.registry import JOBS
from tests.mail.servers import own_database, wait_for

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]



@pytest.fixture
def probe_db(database_url, tmp_path):
    with own_database(database_url, tmp_path, "mailer_scheduler") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe_work (id INTEGER PRIMARY KEY, done_by INTEGER, runs INTEGER NOT NULL)"))
            for n in range(1, 6):
                conn.execute(text("INSERT INTO probe_work (id, done_by, runs) VALUES (:n, NULL, 0)"), {"n": n})
        yield url, engine
        engine.dispose()


def test_killed_scheduler_is_replaced_and_the_work_is_done_once(probe_db, tmp_path):
    url, engine = probe_db
    started = tmp_path / "started"
    started.mkdir()
    env = {**os.environ, "DATABASE_URL": url, "CONSOLE_INSTANCE_DIR": str(tmp_path), "LOG_FORMAT": "text",
           "PROBE_STARTED": str(started), "PROBE_SECONDS": "0.2", "PYTHONPATH": str(ROOT)}
    command = FLASK + ["scheduler", "--jobs", "tests.jobs.probe:JOBS", "--poll", "0.2"]

    output: dict[int, list[str]] = {}

    def spawn() -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        lines = output.setdefault(process.pid, [])
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        return process

    def said(process, words: str) -> bool:
        return any(words in line for line in list(output[process.pid]))

    def ticks() -> list[int]:
        path = tmp_path / "ticks"
        return [int(line) for line in path.read_text().split()] if path.exists() else []

    (tmp_path / "hold").touch()   # the first leader's work stays unfinished until it is killed
    first = spawn()
    others: list[subprocess.Popen] = []
    try:
        wait_for(lambda: (started / str(first.pid)).exists())
        others = [spawn(), spawn()]  # both wait: the first still leads
        wait_for(lambda: all(said(p, "another scheduler leads") for p in others))
        assert not any((started / str(p.pid)).exists() for p in others), "a second scheduler ran while one led"
        assert set(ticks()) == {first.pid}
        first.send_signal(signal.SIGKILL)  # in the middle of its run: nothing of it is committed
        first.wait(10)
        (tmp_path / "hold").unlink()

        def finished():
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT done_by, runs FROM probe_work ORDER BY id")).all()
            return rows if all(r.done_by for r in rows) else None
        rows = wait_for(finished)
        # The new leader runs the job twice more and finds nothing due; a wrongly running second leader would
        # have run by then too (every scheduler runs its jobs at once when it leads, and polls every 0.2 s).
        done_at = len(ticks())
        wait_for(lambda: len(ticks()) >= done_at + 2)
        assert len(set(ticks()) - {first.pid}) == 1, "two schedulers led at once"
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT done_by, runs FROM probe_work ORDER BY id")).all()
        assert [r.runs for r in rows] == [1] * 5
        leaders = {r.done_by for r in rows}
        assert len(leaders) == 1 and leaders < {p.pid for p in others}
        assert sorted(int(p.name) for p in started.iterdir()) == sorted([first.pid, *leaders])
    finally:
        for p in [first, *others]:
            if p.poll() is None:
                p.terminate()
        for p in [first, *others]:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    assert all(p.returncode == 0 for p in others), "a scheduler did not stop cleanly on SIGTERM"


def test_the_job_list_has_fixed_unique_ids_and_importable_functions():
    from werkzeug.utils import import_string
    assert len({j.id for j in JOBS}) == len(JOBS)
    for job in JOBS:
        assert callable(import_string(job.func)) and job.seconds > 0


def test_run_once_runs_a_declared_job_and_refuses_an_unknown_one(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run-once", "nope"])
    assert result.exit_code != 0 and "mail.deliver" in result.output
    listed = runner.invoke(args=["jobs", "list"])
    assert "mail.deliver" in listed.output

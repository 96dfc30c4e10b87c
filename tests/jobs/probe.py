"""A test-only job list for scheduler subprocesses: slow work found in the database, committed once per run."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from console.extensions import db
from console.jobs.registry import Job

JOBS = [Job("probe.work", "tests.jobs.probe:do_due_work", 1)]


def do_due_work() -> None:
    with open(Path(os.environ["PROBE_STARTED"]).parent / "ticks", "a") as ticks:   # every run, found work or not
        ticks.write(f"{os.getpid()}\n")
    due = db.session.scalars(text("SELECT id FROM probe_work WHERE done_by IS NULL ORDER BY id")).all()
    if not due:
        return
    Path(os.environ["PROBE_STARTED"], str(os.getpid())).touch()  # tells the test this process is working
    hold = Path(os.environ["PROBE_STARTED"]).parent / "hold"   # the test keeps the work unfinished while it exists
    for work_id in due:
        time.sleep(float(os.environ.get("PROBE_SECONDS", "0.3")))
        while hold.exists():
            time.sleep(0.05)
        db.session.execute(text("UPDATE probe_work SET done_by = :pid, runs = runs + 1 WHERE id = :id"),
                           {"pid": os.getpid(), "id": work_id})
    db.session.commit()

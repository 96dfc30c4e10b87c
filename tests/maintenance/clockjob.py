"""A test-only job list for scheduler subprocesses: the real maintenance ticker, on a clock the test sets.

The test writes an ISO instant to the file named by MAINTENANCE_CLOCK_FILE; every tick reads it, so the
test can let days pass while a real `flask --app app scheduler` process is down or running.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from console import clock
from console.jobs.registry import Job
from console.maintenance.jobs import send_due_notices

JOBS = [Job("maintenance.notices", "tests.maintenance.clockjob:tick", 1)]


def tick() -> None:
    clock.set_now(datetime.fromisoformat(Path(os.environ["MAINTENANCE_CLOCK_FILE"]).read_text().strip()))
    send_due_notices()

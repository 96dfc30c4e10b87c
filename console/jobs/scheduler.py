"""`flask --app app scheduler`: wait to become the leader, then run every declared job as a ticker."""
from __future__ import annotations

import logging
import signal
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from werkzeug.utils import import_string

from console import clock
from console.extensions import db
from console.jobs.leader import leader_lock
from console.jobs.registry import Job

log = logging.getLogger("console.jobs")


def run_job(app: Flask, job: Job) -> None:
    """One run of one job in its own app context; a failure is logged and rolled back, the ticker goes on."""
    from console.ops.records import job_ran
    with app.app_context():
        started, began, error = clock.now(), time.perf_counter(), None
        try:
            import_string(job.func)()
        except Exception as exc:
            log.exception("job %s failed", job.id)
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"[:2000]
        finally:
            job_ran(job.id, started, time.perf_counter() - began, error)  # the Betrieb page and /metrics
            db.session.remove()


def run_scheduler(app: Flask, jobs: list[Job], poll_seconds: float = 2.0,
                  stop: threading.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    with app.app_context():
        lock = leader_lock(db.engine)
    log.info("scheduler waiting for the %s", lock)
    print(f"  scheduler: waiting to lead ({lock})", flush=True)
    if not lock.acquire():
        print("  scheduler: another scheduler leads; standing by", flush=True)
        while not lock.acquire():
            if stop.wait(poll_seconds):
                return
    print(f"  scheduler: leading, {len(jobs)} job(s): {', '.join(j.id for j in jobs)}", flush=True)
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    for job in jobs:  # first run at once: work that fell due while no scheduler ran is done now
        scheduler.add_job(run_job, "interval", args=[app, job], seconds=job.seconds, id=job.id, name=job.id,
                          replace_existing=True, next_run_time=clock.now())
    scheduler.start()
    try:
        while not stop.wait(poll_seconds):
            if not lock.still_held():
                log.error("scheduler lost its %s; stopping", lock)
                break
    finally:
        scheduler.shutdown(wait=True)
        lock.release()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop

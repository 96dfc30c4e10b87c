"""gunicorn settings for /metrics with several workers: `gunicorn -c python:console.ops.gunicorn_conf app:app`.

Each worker counts its requests in its own files under PROMETHEUS_MULTIPROC_DIR; /metrics adds them up. The
folder is emptied when the master starts (counts of an earlier run's processes must not be added to this
run's), and a worker that exits is marked dead so its live gauges drop out. The variable is set here, in the
master, before any worker imports prometheus_client: the library reads it once, at import.
"""
import os
import shutil
from pathlib import Path

from console.config import INSTANCE_DIR

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(INSTANCE_DIR / "prometheus"))


def on_starting(server):
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)

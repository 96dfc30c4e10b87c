"""/metrics through `make run`'s gunicorn with two workers: every request is counted once, whichever worker
answered it and whichever worker answers the scrape (prometheus-client's multiprocess mode)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.no_db


def _login_requests(stack) -> float:
    body = stack.client().get("/metrics").text
    return sum(sample.value for family in text_string_to_metric_families(body) for sample in family.samples
               if sample.name == "stimme_http_requests_total" and sample.labels.get("route") == "/login")


def _workers_that_counted(stack) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in (stack.instance / "prometheus").glob("counter_*.db")}


def test_both_workers_counts_add_up(stack):
    before = _login_requests(stack)
    sent = 0
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(8) as pool:
        while True:   # until both workers have answered some (the kernel decides who accepts)
            statuses = list(pool.map(lambda _: stack.client().get("/login").status, range(16)))
            assert statuses == [200] * 16
            sent += 16
            if len(_workers_that_counted(stack)) >= 2 or time.monotonic() > deadline:
                break
    assert len(_workers_that_counted(stack)) >= 2, "one worker answered everything; nothing was proven"
    for _ in range(3):  # each scrape may land on either worker: all of them see the same sum
        assert _login_requests(stack) == before + sent

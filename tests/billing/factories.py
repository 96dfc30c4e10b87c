"""Ids for the route walks (tests/test_pages.py, tests/test_tenancy.py): a drafted month, staff-only."""
from __future__ import annotations

from console.billing.models import BillingRun, RunState
from console.billing.services import find_run
from console.extensions import db


def billing_ids() -> dict:
    run = find_run(2026, 10)
    if run is None:
        run = BillingRun(year=2026, month=10, state=RunState.DRAFT)
        db.session.add(run)
        db.session.flush()
    return {"label": run.label, "fmt": "csv"}

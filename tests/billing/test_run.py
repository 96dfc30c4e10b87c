"""The monthly run: statements from peaks and prices, drafts follow the history, finalised months never change."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from console.accounts.models import LicenceEvent, LicenceEventKind as Ev
from console.billing import services
from console.billing.jobs import draft_due
from console.billing.statements import totals
from console.billing.models import BillingRun, LineKind, RunState
from console.errors import RuleViolation
from console.extensions import db
from console.incidents import services as incidents
from tests.incidents.factories import make_incident

UTC = timezone.utc


def _lines(run, kind=LineKind.LICENCE):
    return {(l.customer_id, l.item): (l.quantity, l.unit_cents, l.amount_cents) for l in run.lines if l.kind is kind}


def test_a_draft_bills_each_package_at_its_peak_times_the_price(november_customer, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    run = services.draft(2026, 11)
    c = november_customer.id
    assert _lines(run) == {(c, "klare"): (3, 500, 1500), (c, "volle"): (1, 1500, 1500), (c, "base"): (1, 2000, 2000)}
    assert totals(run.lines) == {"net": 5000, "vat": 950, "gross": 5950}


def test_on_site_work_is_billed_by_the_minute_and_remote_work_is_free(november_customer, freeze, staff_actor):
    incident = make_incident(november_customer)
    incidents.add_time(incident, staff_actor, minutes=90, on_site=True, worked_on=date(2026, 11, 10))
    incidents.add_time(incident, staff_actor, minutes=60, on_site=False, worked_on=date(2026, 11, 10))
    incidents.add_time(incident, staff_actor, minutes=30, on_site=True, worked_on=date(2026, 12, 1))
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    run = services.draft(2026, 11)
    onsite = [l for l in run.lines if l.kind is LineKind.ONSITE]
    assert [(l.incident_number, l.worked_on, l.quantity, l.amount_cents) for l in onsite] == [
        (incident.number, date(2026, 11, 10), 90, 14400)]


def test_a_price_changed_mid_month_applies_from_the_next_month(price_list):
    services.set_price("klare", date(2026, 11, 15), 700)
    assert services.prices_for(2026, 11)["klare"] == 500
    assert services.prices_for(2026, 12)["klare"] == 700


def test_a_draft_follows_the_history_and_a_finalised_month_never_changes(november_customer, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    run = services.draft(2026, 11)
    late = LicenceEvent(at=datetime(2026, 11, 5, 10, 0, tzinfo=UTC), customer_id=november_customer.id,
                        kind=Ev.USER_ADDED, subject_id=99_999, new_value="klare", note="late import")
    db.session.add(late)
    db.session.flush()
    assert _lines(services.draft(2026, 11))[(november_customer.id, "klare")][0] == 4  # re-run follows
    db.session.delete(late)
    db.session.flush()
    services.draft(2026, 11)
    services.finalise(run, "staff")
    frozen = _lines(run)
    db.session.add(LicenceEvent(at=datetime(2026, 11, 5, 10, 0, tzinfo=UTC), customer_id=november_customer.id,
                                kind=Ev.USER_ADDED, subject_id=99_999, new_value="klare", note="late import"))
    db.session.flush()
    with pytest.raises(RuleViolation, match="finalised"):
        services.draft(2026, 11)
    db.session.expire_all()
    assert _lines(services.find_run(2026, 11)) == frozen


def test_a_correction_bills_exactly_the_difference_once(november_customer, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    services.finalise(services.draft(2026, 11), "staff")
    db.session.add(LicenceEvent(at=datetime(2026, 11, 5, 10, 0, tzinfo=UTC), customer_id=november_customer.id,
                                kind=Ev.USER_ADDED, subject_id=99_999, new_value="klare", note="late import"))
    db.session.flush()
    freeze(datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    for _ in range(2):  # a re-run of the draft does not add the correction twice
        december = services.draft(2026, 12)
    adjustments = [l for l in december.lines if l.kind is LineKind.ADJUSTMENT]
    assert [(l.item, l.quantity, l.amount_cents, l.corrects) for l in adjustments] == [("klare", 1, 500, "2026-11")]
    assert "billed 3, now 4" in adjustments[0].reason
    services.finalise(december, "staff")
    freeze(datetime(2027, 2, 1, 6, 0, tzinfo=UTC))
    january = services.draft(2027, 1)
    assert not [l for l in january.lines if l.kind is LineKind.ADJUSTMENT]


def test_only_past_months_can_be_drafted(freeze, price_list):
    freeze(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 December in Berlin: November is over
    services.draft(2026, 11)
    with pytest.raises(RuleViolation, match="not over yet"):
        services.draft(2026, 12)


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(BillingRun))


def test_the_scheduler_drafts_the_previous_month_on_the_1st_once(freeze, price_list):
    freeze(datetime(2026, 11, 30, 22, 59, tzinfo=UTC))  # 23:59 on 30 November in Berlin
    draft_due()
    assert services.find_run(2026, 11) is None and _runs() == 1  # October's
    freeze(datetime(2026, 11, 30, 23, 1, tzinfo=UTC))
    draft_due()
    draft_due()
    assert services.find_run(2026, 11).state is RunState.DRAFT
    assert _runs() == 2


def test_a_run_missed_during_a_downtime_is_caught_up_once(freeze, price_list):
    freeze(datetime(2026, 10, 1, 6, 0, tzinfo=UTC))
    draft_due()  # September
    freeze(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))  # down from October until 4 January
    draft_due()
    draft_due()
    runs = db.session.execute(select(BillingRun.year, BillingRun.month).order_by(BillingRun.id)).all()
    assert [tuple(r) for r in runs] == [(2026, 9), (2026, 10), (2026, 11), (2026, 12)]

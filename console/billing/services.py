"""Drafting, re-running and finalising a month; prices. Services flush, never commit."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from console import clock
from console.accounts.models import Customer, LicenceEvent
from console.billing import peaks as peak_math
from console.billing.delivery import queue_statement_mails
from console.billing.models import ONSITE_HOUR, BillingRun, LineKind, Price, RunState, StatementLine
from console.errors import RuleViolation
from console.extensions import db
from console.incidents.models import Incident, TimeEntry

ADJUST_LOOKBACK = 12      # finalised months checked for a changed history on every draft
PRICE_ITEMS = peak_math.ITEMS + (ONSITE_HOUR,)


def first_of(year: int, month: int) -> date:
    return date(year, month, 1)


def previous_month(day: date) -> tuple[int, int]:
    last = day.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def set_price(item: str, valid_from: date, cents: int) -> Price:
    if item not in PRICE_ITEMS:
        raise RuleViolation(item=_l("Unknown item “%(item)s”; use one of: %(items)s.",
                                       item=item, items=", ".join(PRICE_ITEMS)))
    if cents < 0 or cents > 10_000_000:
        raise RuleViolation(cents=_l("A price must be between 0 and 100,000.00 €."))
    price = db.session.scalar(select(Price).where(Price.item == item, Price.valid_from == valid_from))
    if price is None:
        price = Price(item=item, valid_from=valid_from, cents=cents)
        db.session.add(price)
    price.cents = cents
    db.session.flush()
    return price


def prices_for(year: int, month: int) -> dict[str, int]:
    """The unit price of every item for a month: the latest valid on its 1st (a mid-month change waits a month)."""
    first = first_of(year, month)
    result = dict.fromkeys(PRICE_ITEMS, 0)
    for price in db.session.scalars(select(Price).where(Price.valid_from <= first).order_by(Price.valid_from)):
        result[price.item] = price.cents
    return result


_HISTORY_COLUMNS = (LicenceEvent.id, LicenceEvent.at, LicenceEvent.customer_id, LicenceEvent.kind,
                    LicenceEvent.subject_id, LicenceEvent.old_value, LicenceEvent.new_value)


def customer_history(customer_id: int, end) -> list:
    """The customer's history rows before `end`, as plain rows (a month of many customers loads no ORM objects)."""
    return list(db.session.execute(select(*_HISTORY_COLUMNS, LicenceEvent.note).where(
        LicenceEvent.customer_id == customer_id, LicenceEvent.at < end)))


def customer_peaks(customer_id: int, year: int, month: int) -> dict[str, int]:
    """One customer's peaks for a month: what its page and `accounts peak` show, computed as the run bills."""
    _, end = peak_math.month_bounds(year, month)
    return peak_math.peaks(customer_history(customer_id, end), year, month)


def month_peaks(year: int, month: int) -> dict[int, dict[str, int]]:
    """Peaks of every customer for a month, from one read of the history."""
    _, end = peak_math.month_bounds(year, month)
    by_customer: dict[int, list] = defaultdict(list)
    for row in db.session.execute(select(*_HISTORY_COLUMNS).where(LicenceEvent.at < end)):
        by_customer[row.customer_id].append(row)
    return {cid: peak_math.peaks(rows, year, month) for cid, rows in by_customer.items()}


def find_run(year: int, month: int) -> BillingRun | None:
    return db.session.scalar(select(BillingRun).where(BillingRun.year == year, BillingRun.month == month))


def draft(year: int, month: int) -> BillingRun:
    """Create the month's draft or re-run it from the history; a finalised month is refused."""
    if (year, month) >= (clock.today_berlin().year, clock.today_berlin().month):
        raise RuleViolation(month=_l("%(month)s is not over yet; only past months can be billed.",
                                        month=f"{year:04d}-{month:02d}"))
    run = find_run(year, month)
    if run is None:
        run = BillingRun(year=year, month=month, state=RunState.DRAFT, drafted_at=clock.now())
        db.session.add(run)
        db.session.flush()
    elif run.state is RunState.FINAL:
        raise RuleViolation(month=_l("%(month)s is finalised and can no longer change; a correction goes into "
                                        "the next run.", month=run.label))
    db.session.execute(delete(StatementLine).where(StatementLine.run_id == run.id))
    db.session.expire(run, ["lines"])
    run.drafted_at = clock.now()
    customers = {c.id: c for c in db.session.scalars(select(Customer))}
    prices = prices_for(year, month)
    for customer_id, counts in sorted(month_peaks(year, month).items()):
        customer = customers.get(customer_id)
        for item in peak_math.ITEMS:
            if customer is not None and counts[item]:
                db.session.add(StatementLine(
                    run_id=run.id, reseller_id=customer.reseller_id, customer_id=customer_id,
                    kind=LineKind.LICENCE, item=item, quantity=counts[item], unit_cents=prices[item],
                    amount_cents=counts[item] * prices[item]))
    _add_onsite_work(run, prices[ONSITE_HOUR])
    _add_adjustments(run, customers)
    db.session.flush()
    return run


def _add_onsite_work(run: BillingRun, hourly_cents: int) -> None:
    first = first_of(run.year, run.month)
    after = first_of(run.year + (run.month == 12), run.month % 12 + 1)
    entries = db.session.execute(
        select(TimeEntry, Incident).join(Incident, TimeEntry.incident_id == Incident.id)
        .where(TimeEntry.on_site.is_(True), TimeEntry.worked_on >= first, TimeEntry.worked_on < after)
        .order_by(TimeEntry.worked_on, TimeEntry.id))
    for entry, incident in entries:
        db.session.add(StatementLine(
            run_id=run.id, reseller_id=incident.reseller_id, customer_id=incident.customer_id,
            kind=LineKind.ONSITE, item=ONSITE_HOUR, quantity=entry.minutes, unit_cents=hourly_cents,
            amount_cents=(entry.minutes * hourly_cents + 30) // 60, incident_number=incident.number,
            worked_on=entry.worked_on))


def billed_quantities(label: str) -> dict[tuple[int, str], int]:
    """What a finalised month has billed so far per (customer, item): its own lines plus finalised adjustments."""
    year, month = int(label[:4]), int(label[5:])
    billed: dict[tuple[int, str], int] = defaultdict(int)
    own = select(StatementLine).join(BillingRun).where(
        BillingRun.year == year, BillingRun.month == month, StatementLine.kind == LineKind.LICENCE)
    later = select(StatementLine).join(BillingRun).where(
        BillingRun.state == RunState.FINAL, StatementLine.kind == LineKind.ADJUSTMENT,
        StatementLine.corrects == label)
    for query in (own, later):
        for line in db.session.scalars(query):
            billed[(line.customer_id, line.item)] += line.quantity
    return billed


def _add_adjustments(run: BillingRun, customers: dict[int, Customer]) -> None:
    """For each finalised earlier month whose history changed: a line billing (or crediting) only the difference."""
    finals = db.session.scalars(select(BillingRun).where(
        BillingRun.state == RunState.FINAL,
        (BillingRun.year * 12 + BillingRun.month) < run.year * 12 + run.month,
        (BillingRun.year * 12 + BillingRun.month) >= run.year * 12 + run.month - ADJUST_LOOKBACK)
        .order_by(BillingRun.year, BillingRun.month)).all()
    for final in finals:
        billed = billed_quantities(final.label)
        prices = prices_for(final.year, final.month)
        now_peaks = month_peaks(final.year, final.month)
        keys = set(billed) | {(cid, item) for cid, c in now_peaks.items() for item, n in c.items() if n}
        for customer_id, item in sorted(keys):
            was = billed.get((customer_id, item), 0)
            now = now_peaks.get(customer_id, {}).get(item, 0)
            customer = customers.get(customer_id)
            if now == was or customer is None:
                continue
            db.session.add(StatementLine(
                run_id=run.id, reseller_id=customer.reseller_id, customer_id=customer_id,
                kind=LineKind.ADJUSTMENT, item=item, quantity=now - was, unit_cents=prices[item],
                amount_cents=(now - was) * prices[item], corrects=final.label,
                reason=f"history of {final.label} changed after finalising: billed {was}, now {now}"))


def finalise(run: BillingRun, actor_label: str) -> BillingRun:
    if run.state is RunState.FINAL:
        raise RuleViolation(month=_l("%(month)s is already finalised.", month=run.label))
    run.state = RunState.FINAL
    run.finalised_at = clock.now()
    run.finalised_by = actor_label
    db.session.flush()
    queue_statement_mails(run)
    return run

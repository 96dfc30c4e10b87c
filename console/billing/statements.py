"""A month's lines grouped into one statement per reseller, and the amounts as people write them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.accounts.models import Customer, Reseller
from console.billing.models import BillingRun, StatementLine
from console.errors import RuleViolation
from console.extensions import db

VAT_PERCENT = 19  # German standard rate; this is a statement for accounting, not the legal invoice


def totals(lines) -> dict[str, int]:
    net = sum(line.amount_cents for line in lines)
    vat = (net * VAT_PERCENT + 50) // 100
    return {"net": net, "vat": vat, "gross": net + vat}


@dataclass
class Statement:
    run: BillingRun
    reseller: Reseller
    lines: list[StatementLine]

    @property
    def totals(self) -> dict[str, int]:
        return totals(self.lines)

    def customers(self) -> list[tuple[Customer | None, list[StatementLine]]]:
        grouped: dict[int | None, list[StatementLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.customer_id, []).append(line)
        return [(lines[0].customer, lines) for _, lines in grouped.items()]


def _ordered(query):
    return query.outerjoin(Customer, StatementLine.customer_id == Customer.id).order_by(
        Customer.name.is_(None), Customer.name, StatementLine.customer_id, StatementLine.id)


def statements(run: BillingRun, reseller_id: int | None = None) -> list[Statement]:
    """One statement per reseller with lines in the month (or only `reseller_id`'s), by reseller name."""
    query = select(StatementLine).where(StatementLine.run_id == run.id)
    if reseller_id is not None:
        query = query.where(StatementLine.reseller_id == reseller_id)
    by_reseller: dict[int, list[StatementLine]] = {}
    for line in db.session.scalars(_ordered(query)):
        by_reseller.setdefault(line.reseller_id, []).append(line)
    resellers = {r.id: r for r in db.session.scalars(select(Reseller).where(Reseller.id.in_(by_reseller)))}
    return sorted((Statement(run, resellers[rid], lines) for rid, lines in by_reseller.items()),
                  key=lambda s: s.reseller.name)


def euros(cents: int) -> str:
    """Plain machine-readable euros: -12.50."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def parse_euros(raw: str, field: str) -> int:
    """"12.50", "12,50" or "12" euros → cents; anything else is refused with what would be accepted."""
    text = (raw or "").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(Decimal("0.01")) or value < 0:
        raise RuleViolation({field: _l("“%(value)s” is not a price; write euros with at most two decimals, "
                                       "e.g. 12.50 or 12,50.", value=(raw or "")[:20])})
    return int(value * 100)


def statement_json(statement: Statement) -> dict:
    return {
        "month": statement.run.label, "state": statement.run.state.value,
        "reseller": {"id": statement.reseller.id, "name": statement.reseller.name},
        "lines": [{"customer_id": l.customer_id, "customer": l.customer.name if l.customer else None,
                   "customer_number": l.customer.customer_number if l.customer else None,
                   "kind": l.kind.value, "item": l.item, "quantity": l.quantity, "unit_cents": l.unit_cents,
                   "amount_cents": l.amount_cents, "incident_number": l.incident_number,
                   "worked_on": l.worked_on.isoformat() if l.worked_on else None,
                   "corrects": l.corrects, "reason": l.reason} for l in statement.lines],
        "totals_cents": statement.totals,
    }

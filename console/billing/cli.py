"""`flask --app app billing …`: draft, show and finalise a month; keep the price list."""
from __future__ import annotations

import json
from datetime import date
import click
from flask_babel import gettext as _
from sqlalchemy import select

from console import clock
from console.audit.recorder import acting_as
from console.billing import services
from console.billing.statements import euros, parse_euros, statement_json, statements, totals
from console.billing.models import Price
from console.cli_types import Month, Text, not_found
from console.errors import RuleViolation
from console.extensions import db


@click.group("billing", help="The monthly billing run: peaks, statements, prices.")
def billing_cli():
    pass


def _month_or_previous(month: tuple[int, int] | None) -> tuple[int, int]:
    return month or services.previous_month(clock.today_berlin())


def _fail(exc: RuleViolation):
    raise click.ClickException(exc.text("; "))


def _load(month: tuple[int, int]):
    run = services.find_run(*month)
    if run is None:
        raise not_found(_("%(month)s has no run yet; start one with `billing run --month %(month)s`.",
                          month=f"{month[0]:04d}-{month[1]:02d}"), "--month")
    return run


@billing_cli.command("run")
@click.option("--month", type=Month(), help="YYYY-MM; the previous month if left out")
def run_month(month):
    """Draft MONTH from the licence history, or re-run its draft (a finalised month is refused)."""
    with acting_as(None, "cli"):
        try:
            run = services.draft(*_month_or_previous(month))
        except RuleViolation as exc:
            _fail(exc)
        db.session.commit()
    total = totals(run.lines)
    click.echo(f"{run.label} {run.state.value}: {len(run.lines)} lines, net {euros(total['net'])}")


@billing_cli.command("show")
@click.option("--month", type=Month(), help="YYYY-MM; the previous month if left out")
@click.option("--json", "as_json", is_flag=True, help="print JSON lines")
def show_month(month, as_json: bool):
    """Print MONTH's statement lines per reseller and customer, with net, VAT and gross per reseller."""
    run = _load(_month_or_previous(month))
    click.echo(f"{run.label} {run.state.value}")
    for statement in statements(run):
        if as_json:
            click.echo(json.dumps(statement_json(statement), ensure_ascii=False))
            continue
        click.echo(f"\n{statement.reseller.name}")
        for line in statement.lines:
            click.echo(f"  {line.customer.name if line.customer else '-':<30} {line.kind.value:<10} "
                       f"{line.item:<16} {line.quantity:>6} × {euros(line.unit_cents):>10} = "
                       f"{euros(line.amount_cents):>10} {line.incident_number or ''}"
                       f"{line.corrects or ''}")
        t = statement.totals
        click.echo(f"  net {euros(t['net'])}  VAT {euros(t['vat'])}  "
                   f"gross {euros(t['gross'])}")


@billing_cli.command("finalise")
@click.option("--month", type=Month(), help="YYYY-MM; the previous month if left out")
def finalise_month(month):
    """Freeze MONTH's draft for good and mail each reseller its statement; staff get the whole month."""
    run = _load(_month_or_previous(month))
    with acting_as(None, "cli"):
        try:
            services.finalise(run, "cli")
        except RuleViolation as exc:
            _fail(exc)
        db.session.commit()
    click.echo(f"{run.label} final")


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise click.BadParameter(_("“%(value)s” is not a date; write YYYY-MM-DD, e.g. 2026-12-01.", value=raw[:20]),
                                 param_hint="--valid-from") from None


@billing_cli.command("prices")
@click.option("--set", "item", type=click.Choice(services.PRICE_ITEMS), help="the item to price")
@click.option("--price", type=Text(20), help="net euros, e.g. 12.50 or 12,50")
@click.option("--valid-from", type=Text(10), help="YYYY-MM-DD; a date inside a month "
              "takes effect from the 1st of the next month")
def prices(item: str | None, price: str | None, valid_from):
    """List the price list; with --set, --price and --valid-from add or change one price."""
    if item or price or valid_from:
        if not (item and price and valid_from):
            raise click.UsageError(_("Give --set, --price and --valid-from together."))
        with acting_as(None, "cli"):
            try:
                services.set_price(item, _day(valid_from), parse_euros(price, "--price"))
            except RuleViolation as exc:
                _fail(exc)
            db.session.commit()
    for row in db.session.scalars(select(Price).order_by(Price.item, Price.valid_from)):
        click.echo(f"{row.item:<18} {row.valid_from.isoformat()}  {euros(row.cents):>10}")
    if not db.session.scalar(select(Price.id).limit(1)):
        click.echo(_("The price list is empty."))

"""Statements as CSV and PDF in the reader's language: German with `;`, decimal commas and dd.mm.yyyy."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import g
from flask_babel import force_locale, gettext as _

from console.billing.models import LineKind
from console.billing.statements import VAT_PERCENT, Statement, totals


@contextmanager
def in_language(language: str):
    """Render in `language` inside or outside a request (outside one the locale selector reads g.locale)."""
    previous = g.get("locale")
    g.locale = language
    try:
        with force_locale(language):
            yield
    finally:
        if previous is None:
            g.pop("locale", None)
        else:
            g.locale = previous


def item_label(item: str) -> str:
    return {"klare": "Klare stimme", "klingende": "Klingende stimme", "volle": "Volle stimme",
            "base": _("Base licence"), "extended": _("Extended base licence"),
            "additional_sites": _("Additional site"), "onsite_hour": _("On-site work")}.get(item, item)


def kind_label(kind: LineKind) -> str:
    return {LineKind.LICENCE: _("Licence"), LineKind.ONSITE: _("On-site work"),
            LineKind.ADJUSTMENT: _("Adjustment")}[kind]


def money(cents: int, language: str) -> str:
    return format_decimal(Decimal(cents) / 100, format="#,##0.00", locale=language)


def day(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return format_date(value, "dd.MM.yyyy" if language == "de" else "yyyy-MM-dd", locale=language)


def delimiter(language: str) -> str:
    return ";" if language == "de" else ","  # what a spreadsheet in that language expects


def total_rows(lines, language: str) -> list[tuple[str, str]]:
    t = totals(lines)
    return [(_("Net"), money(t["net"], language)), (_("VAT %(percent)d %%", percent=VAT_PERCENT),
                                                    money(t["vat"], language)),
            (_("Gross"), money(t["gross"], language))]


def line_cells(line, language: str) -> list[str]:
    unit = _("min") if line.kind is LineKind.ONSITE else ""
    note = line.incident_number or ""
    if line.kind is LineKind.ADJUSTMENT:
        note = _("corrects %(month)s", month=line.corrects)
    return [line.customer.name if line.customer else "", (line.customer.customer_number or "") if line.customer
            else "", kind_label(line.kind), item_label(line.item), f"{line.quantity} {unit}".strip(),
            money(line.unit_cents, language), money(line.amount_cents, language), note, day(line.worked_on, language)]


def statements_csv(statements: list[Statement], language: str) -> bytes:
    """One row per line (with its reseller), then net, VAT and gross of all of them."""
    with in_language(language):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter(language), lineterminator="\r\n")
        writer.writerow([_("Month"), _("Reseller"), _("Customer"), _("Customer number"), _("Kind"), _("Item"),
                         _("Quantity"), _("Unit price (EUR)"), _("Amount (EUR)"), _("Reference"), _("Date")])
        every_line = []
        for statement in statements:
            for line in statement.lines:
                writer.writerow([statement.run.label, statement.reseller.name, *line_cells(line, language)])
                every_line.append(line)
        for label, amount in total_rows(every_line, language):
            writer.writerow(["", "", "", "", "", label, "", "", amount, "", ""])
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM lets spreadsheets read UTF-8

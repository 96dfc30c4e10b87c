"""What makes a fault report qualified (§7.9), checked field by field for the form and the API alike.

`check_report()` takes what arrived (form strings or JSON values), normalises it (numbers to E.164, times
to UTC) and says exactly which fields are missing and which are invalid, with messages people can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.accounts.models import Customer, Site
from console.berlin_time import parse_local
from console.bounds import DATE_MESSAGE, instant_in_range, parse_id, parse_measure
from console.clock import BERLIN
from console.errors import RuleViolation
from console.extensions import db
from console.incidents.models import Category, Impact, Pattern
from console.incidents.openapi import REPORT
from console.phone import InvalidNumber, to_e164

# §6.1: end to end between phone and platform.
MAX_DELAY_MS = 150.0
MAX_JITTER_MS = 20.0
MAX_LOSS_PERCENT = 1.0   # loss of 1 % or more is beyond §6.1

FIELD_LABELS = {
    "title": _l("Short summary"),
    "customer_id": _l("Customer and PBX"),
    "site_ids": _l("Affected site(s)"),
    "category": _l("Category"),
    "impact": _l("Impact"),
    "affected_numbers": _l("Affected numbers"),
    "started_at": _l("Start of the fault"),
    "pattern": _l("Continuing or intermittent"),
    "reproduction": _l("How to reproduce"),
    "example_calls": _l("Example calls (time, from, to)"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Callback number"),
    "delay_ms": _l("Measured delay (ms)"),
    "jitter_ms": _l("Measured jitter (ms)"),
    "loss_percent": _l("Measured packet loss (%)"),
}
VOICE_QUALITY_FIELDS = ("delay_ms", "jitter_ms", "loss_percent")


@dataclass
class CheckedReport:
    values: dict = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    invalid: dict[str, object] = field(default_factory=dict)

    @property
    def qualified(self) -> bool:
        return not self.missing and not self.invalid

    def missing_messages(self) -> dict[str, object]:
        return {name: _l("%(field)s is missing.", field=FIELD_LABELS[name]) for name in self.missing}


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, (list, tuple)) and not [v for v in value if not blank(v)])


def _as_list(value) -> list:
    """A list from JSON, or from text with one entry per line (commas also separate numbers)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if not blank(v)]
    return [line.strip() for line in str(value).splitlines() if line.strip()]


class OutOfRange(ValueError):
    """A well-formed date outside bounds.FIRST_DAY … LAST_DAY."""


def _read_instant(raw) -> datetime:
    text = str(raw).strip().replace(" ", "T", 1)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if not instant_in_range(parsed):
        raise OutOfRange(text)
    return parsed


def parse_instant(raw) -> datetime:
    """ISO 8601; without an offset it is Berlin wall-clock time (what people type). ValueError if it is not one,
    OutOfRange if it lies outside the dates the console accepts. An example call's time: a wall-clock time of
    the doubled hour is taken as its first occurrence."""
    parsed = _read_instant(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)


def parse_start(raw, field: str) -> datetime:
    """A fault's start, through the one Berlin time parser (console.berlin_time.parse_local): a wall-clock time
    that does not exist or exists twice is refused with the field's message (RuleViolation)."""
    return parse_local(_read_instant(raw), field)


def _enum_value(enum_cls, raw):
    try:
        return enum_cls(str(raw).strip())
    except ValueError:
        return None


def _numbers(raw_list: list, region: str) -> tuple[list[str], list[str]]:
    good, bad = [], []
    for raw in raw_list:
        for part in str(raw).split(","):
            if part.strip():
                try:
                    good.append(to_e164(part, region))
                except InvalidNumber:
                    bad.append(part.strip())
    return good, bad


def _example_call(raw, region: str) -> dict:
    """{"at", "from", "to"} from a JSON object or a line "2026-11-27 10:15, 030 1234567, 0171 2345678"."""
    if isinstance(raw, dict):
        at, src, dst = raw.get("at"), raw.get("from"), raw.get("to")
    else:
        parts = [p.strip() for p in str(raw).split(",")]
        if len(parts) != 3:
            raise ValueError(raw)
        at, src, dst = parts
    return {"at": parse_instant(at).astimezone(BERLIN).isoformat(), "from": to_e164(str(src), region),
            "to": to_e164(str(dst), region)}


def check_report(data: dict, customer: Customer | None) -> CheckedReport:
    """Normalise and check a report about `customer`, which the caller loaded in the principal's scope (None
    when the report names none yet; a `customer_id` in `data` is not looked up again here)."""
    result = CheckedReport()
    values, invalid = result.values, result.invalid
    for name in ("title", "reproduction", "contact_name", "description"):
        if not blank(data.get(name)):
            values[name] = str(data[name]).strip()

    if customer is not None:
        if customer.pbx is None:
            invalid["customer_id"] = _l("This customer has no PBX yet.")
        else:
            values["customer"] = customer
    region = customer.pbx.country if customer and customer.pbx else "DE"

    site_ids = []
    for raw in _as_list(data.get("site_ids")):
        site_id = parse_id(raw)
        if site_id is None:
            invalid["site_ids"] = _l("Choose the sites from the list.")
        else:
            site_ids.append(site_id)
    if site_ids and customer is not None and customer.pbx is not None:
        sites = db.session.scalars(select(Site).where(Site.id.in_(site_ids), Site.pbx_id == customer.pbx.id)).all()
        if len(sites) != len(set(site_ids)):
            invalid["site_ids"] = _l("Only the customer's own sites can be chosen.")
        values["sites"] = list(sites)

    for name, enum_cls in (("category", Category), ("impact", Impact), ("pattern", Pattern)):
        raw = data.get(name)
        if not blank(raw):
            value = _enum_value(enum_cls, raw)
            if value is None:
                invalid[name] = _l("Choose one of: %(choices)s.", choices=", ".join(e.value for e in enum_cls))
            values[name] = value

    numbers, bad = _numbers(_as_list(data.get("affected_numbers")), region)
    if bad:
        invalid["affected_numbers"] = _l("Not valid phone numbers: %(numbers)s. Write them with area code.",
                                         numbers=", ".join(bad))
    values["affected_numbers"] = numbers

    if not blank(data.get("started_at")):
        try:
            values["started_at"] = parse_start(data["started_at"], "started_at")
        except RuleViolation as exc:
            invalid.update(exc.errors)
        except OutOfRange:
            invalid["started_at"] = DATE_MESSAGE
        except (TypeError, ValueError):
            invalid["started_at"] = _l("Give date and time, e.g. 2026-11-27 09:30.")

    calls = []
    for raw in _as_list(data.get("example_calls")):
        try:
            calls.append(_example_call(raw, region))
        except OutOfRange:
            invalid["example_calls"] = DATE_MESSAGE
        except (TypeError, ValueError, InvalidNumber):
            invalid["example_calls"] = _l("Write each call as: date time, from number, to number "
                                          "(e.g. 2026-11-27 10:15, 030 1234567, 0171 2345678).")
    values["example_calls"] = calls

    if not blank(data.get("contact_phone")):
        try:
            values["contact_phone"] = to_e164(str(data["contact_phone"]), region)
        except InvalidNumber as exc:
            invalid["contact_phone"] = exc.message

    for name in VOICE_QUALITY_FIELDS:
        if not blank(data.get(name)):
            number = parse_measure(data[name])
            if number is None:
                invalid[name] = _l("Give a number, e.g. 35.")
            else:
                values[name] = number

    required = list(REPORT["required"])  # the served description says what a report needs
    if values.get("category") is Category.VOICE_QUALITY:
        required += list(VOICE_QUALITY_FIELDS)
    present = {"customer_id": "customer", "site_ids": "sites"}
    result.missing = [name for name in required if name not in invalid and blank(values.get(present.get(name, name)))]
    return result


def network_findings(delay_ms: float | None, jitter_ms: float | None, loss_percent: float | None) -> list:
    """Measurements beyond §6.1, each a message for both sides: a likely cause in the customer's network."""
    findings = []
    if delay_ms is not None and delay_ms > MAX_DELAY_MS:
        findings.append(_l("Delay %(value)s ms is above the 150 ms that §6.1 allows.", value=f"{delay_ms:g}"))
    if jitter_ms is not None and jitter_ms > MAX_JITTER_MS:
        findings.append(_l("Jitter %(value)s ms is above the 20 ms that §6.1 allows.", value=f"{jitter_ms:g}"))
    if loss_percent is not None and loss_percent >= MAX_LOSS_PERCENT:
        findings.append(_l("Packet loss %(value)s %% reaches the 1 %% that §6.1 no longer allows.",
                           value=f"{loss_percent:g}"))
    return findings

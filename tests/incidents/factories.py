"""Plain helpers that build incidents and their surroundings (used here and by tests/test_tenancy.py, test_pages.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from console import clock
from console.incidents import services
from console.incidents.models import Channel, Incident
from console.incidents.qualification import check_report


def qualified_data(customer, **overrides) -> dict:
    """A complete report (§7.9) for the customer's main site, as the API would receive it."""
    trunk = customer.pbx.sites[0].trunk
    number = trunk.number_for("10") if trunk else "+49301234567"
    data = {
        "title": "Keine eingehenden Anrufe",
        "customer_id": customer.id,
        "site_ids": [customer.pbx.sites[0].id],
        "category": "no_incoming",
        "impact": "site",
        "affected_numbers": [number],
        "started_at": "2026-11-27T09:30:00+01:00",
        "pattern": "continuing",
        "reproduction": "Von extern die Zentrale anrufen: Besetztton.",
        "example_calls": [{"at": "2026-11-27T09:41:00+01:00", "from": "+491711234567", "to": number}],
        "contact_name": "Petra Pause",
        "contact_phone": "+49 30 9876543",
    }
    data.update(overrides)
    return data


def make_incident(customer, actor=None, channel: Channel = Channel.FORM, **overrides) -> Incident:
    data = qualified_data(customer, **overrides)
    checked = check_report(data, customer if data.get("customer_id") else None)
    assert checked.qualified, (checked.missing, checked.invalid)
    return services.file_report(customer.reseller, checked, channel=channel, actor=actor)


def make_outage(pbxs=(), *, start: datetime | None = None, hours: float = 1, platform_wide: bool = False,
                description: str = "Ausfall"):
    start = start or clock.now() - timedelta(days=1)
    return services.save_outage(None, start=start, end=start + timedelta(hours=hours), platform_wide=platform_wide,
                                pbxs=list(pbxs), incidents=[], description=description)


def api_token(customer, name: str = "Ticketsystem") -> str:
    """A fault-report API token of the customer's reseller, as the reseller's ticket system holds it."""
    from console.extensions import db
    _, plain = services.issue_token(customer.reseller, name)
    db.session.flush()
    return plain

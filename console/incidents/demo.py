"""Demo fault reports: a qualified one in progress, a voice-quality one with measurements, and a past outage."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from console import clock
from console.accounts.models import Customer
from console.auth.models import Login, Role
from console.extensions import db
from console.incidents import services
from console.incidents.models import Channel, Incident, Priority, State
from console.incidents.qualification import check_report


def load_demo_incidents() -> bool:
    if db.session.scalar(select(Incident.id).limit(1)) is not None:
        return False
    mueller = db.session.scalar(select(Customer).where(Customer.name == "Müller GmbH"))
    reseller_login = db.session.scalar(select(Login).where(Login.email == "reseller@example.com"))
    staff = db.session.scalar(select(Login).where(Login.role == Role.STAFF_ADMIN).order_by(Login.id))
    if mueller is None or reseller_login is None or staff is None:
        return False
    site = mueller.pbx.sites[0]
    number = site.trunk.number_for("11")
    started = (clock.now() - timedelta(hours=3)).isoformat()
    report = {
        "title": "Keine eingehenden Anrufe in der Zentrale", "customer_id": mueller.id, "site_ids": [site.id],
        "category": "no_incoming", "impact": "site", "affected_numbers": [site.trunk.number_for("0")],
        "started_at": started, "pattern": "continuing",
        "reproduction": "Von einem Mobiltelefon die Zentrale anrufen: Besetztton nach dem ersten Klingeln.",
        "example_calls": [{"at": started, "from": "+491711234567", "to": site.trunk.number_for("0")}],
        "contact_name": "Carla Admin", "contact_phone": "040 3012345-11",
    }
    first = services.file_report(mueller.reseller, check_report(report, mueller), channel=Channel.FORM,
                                 actor=reseller_login, priority=Priority.P2)
    services.assign(first, staff, staff)
    services.change_state(first, State.IN_PROGRESS, staff)
    services.add_reply(first, "Wir prüfen den SIP-Trunk beim Provider und melden uns innerhalb einer Stunde.", staff)
    quality = dict(report, title="Abgehackte Sprache bei Gesprächen aus der Filiale", category="voice_quality",
                   impact="some_users", affected_numbers=[number], pattern="intermittent",
                   delay_ms=180, jitter_ms=35, loss_percent=2.5)
    services.file_report(mueller.reseller, check_report(quality, mueller), channel=Channel.API,
                         actor=reseller_login, priority=Priority.P3)
    outage_start = clock.now() - timedelta(days=20)
    services.save_outage(None, start=outage_start, end=outage_start + timedelta(minutes=42), platform_wide=True,
                         pbxs=[], incidents=[], description="Registrierungsserver nicht erreichbar")
    return True

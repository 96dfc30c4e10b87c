"""Changing an SLA target recomputes the deadlines of the open incidents of that priority, which the warning
job reads from the stored `sla_due_at` (issue 13, point 5)."""
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.incidents import services
from console.incidents.jobs import warn_before_breach
from console.incidents.models import Incident, Priority, State
from console.incidents.sla import recompute_sla
from console.mail.models import OutboxMessage
from tests.conftest import berlin
from tests.incidents.factories import make_incident


def _targets(response: int) -> dict:
    return {"response_minutes": response, "update_minutes": 540, "resolution_minutes": 1620}


def test_a_shorter_response_target_moves_open_deadlines_and_the_warning(make_customer, make_login, signed_in,
                                                                        freeze):
    freeze(berlin(2026, 11, 30, 9, 0))
    customer = make_customer()
    waiting = make_incident(customer)                    # P3: response due 13:00 (240 service minutes)
    resolved = make_incident(customer)
    staff_login = make_login(Role.STAFF_ADMIN)
    services.change_state(resolved, State.RESOLVED, staff_login)
    other = make_incident(customer)
    services.set_priority(other, Priority.P2, staff_login)   # P2 keeps its own targets
    other_due = other.sla_due_at
    assert waiting.sla_due_at == berlin(2026, 11, 30, 13, 0)

    staff = signed_in(staff_login)
    response = staff.post("/incidents/sla/edit?priority=P3", _targets(60))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Incident, waiting.id).sla_due_at == berlin(2026, 11, 30, 10, 0)
    assert db.session.get(Incident, other.id).sla_due_at == other_due
    assert db.session.get(Incident, resolved.id).sla_due_at is None

    freeze(berlin(2026, 11, 30, 9, 40))   # before: three hours early; now within the warning lead
    assert warn_before_breach() >= 1
    warned = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "incidents/sla_warning"))
    assert waiting.number in " ".join(m.subject for m in warned)


def test_a_longer_target_lifts_a_breach_that_no_longer_is_one(make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 30, 9, 0))
    incident = make_incident(make_customer())
    freeze(berlin(2026, 11, 30, 14, 0))
    recompute_sla(incident)
    assert incident.sla_breached
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    assert staff.post("/incidents/sla/edit?priority=P3", _targets(480)).status_code == 303
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert stored.sla_due_at == berlin(2026, 11, 30, 17, 0) and not stored.sla_breached

"""Staff are warned before an SLA target is breached: within service hours only, and each warning once."""
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.incidents import services
from console.incidents.jobs import warn_before_breach
from console.mail.models import OutboxMessage
from tests.conftest import berlin
from tests.incidents.factories import make_incident


def _warnings() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "incidents/sla_warning")))


def test_a_warning_comes_once_shortly_before_the_deadline(make_customer, make_login, freeze):
    freeze(berlin(2026, 11, 30, 9, 0))
    incident = make_incident(make_customer())          # P3: response due 13:00
    assignee = make_login(Role.STAFF_SUPPORT, email="tech@stimme.example")
    services.assign(incident, assignee, assignee)
    freeze(berlin(2026, 11, 30, 12, 0))
    assert warn_before_breach() == 0 and _warnings() == []
    freeze(berlin(2026, 11, 30, 12, 35))
    assert warn_before_breach() == 1
    freeze(berlin(2026, 11, 30, 12, 36))
    warn_before_breach()
    [warning] = _warnings()
    assert warning.recipient == "tech@stimme.example" and incident.number in warning.subject


def test_no_warning_at_night_it_comes_at_0800(make_customer, freeze):
    freeze(berlin(2026, 11, 30, 16, 50))
    make_incident(make_customer())                      # P3 response due Tuesday 11:50
    freeze(berlin(2026, 12, 1, 2, 0))
    assert warn_before_breach() == 0
    freeze(berlin(2026, 12, 1, 11, 25))
    assert warn_before_breach() == 1
    assert _warnings()[0].recipient == "betrieb@stimme.local"   # nobody assigned: the operations address


def test_a_paused_incident_is_not_warned_about(make_customer, make_login, freeze):
    from console.incidents.models import State
    freeze(berlin(2026, 11, 30, 9, 0))
    incident = make_incident(make_customer())
    staff = make_login(Role.STAFF_ADMIN)
    services.add_reply(incident, "Bitte Trace schicken.", staff)
    services.change_state(incident, State.WAITING, staff)
    freeze(berlin(2026, 11, 30, 12, 50))
    assert warn_before_breach() == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.template == "incidents/sla_warning")) == 0

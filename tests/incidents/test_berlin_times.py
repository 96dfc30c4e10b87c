"""Times typed for Berlin on the outage form and a fault's start go through the one parser
(console.berlin_time.parse_local): a wall-clock time that does not exist (spring forward) or exists twice
(autumn) is refused on its field, never stored as a guess (issue 13, point 6)."""
import pytest
from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Incident, Outage
from tests.conftest import berlin, utc
from tests.incidents.test_reports import _form

GAP = "2026-03-29T02:30"        # clocks go from 02:00 to 03:00
DOUBLED = "2026-10-25T02:30"    # clocks go from 03:00 back to 02:00


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("typed, says", [(GAP, "does not exist on this day"), (DOUBLED, "happens twice on this day")])
def test_an_outage_in_the_gap_or_the_doubled_hour_is_refused(make_login, signed_in, typed, says):
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    staff.post("/language", {"language": "en"})
    for field in ("start", "end"):
        data = {"start": "2026-03-28T10:00", "end": "2026-10-26T10:00", "platform_wide": "y",
                "description": "Registrar weg", field: typed}
        page = staff.post("/incidents/outages/new", data)
        assert page.status_code == 200 and says in page.get_data(as_text=True), field
    assert _count(Outage) == 0


def test_an_outage_next_to_the_change_is_stored_at_the_right_instant(make_login, signed_in):
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    page = staff.post("/incidents/outages/new", {"start": "2026-03-29T01:30", "end": "2026-03-29T03:30",
                                                "platform_wide": "y", "description": "Registrar weg"})
    assert page.status_code == 303
    outage = db.session.scalar(select(Outage))
    assert outage.start == berlin(2026, 3, 29, 1, 30) and (outage.end - outage.start).total_seconds() == 3600


@pytest.mark.parametrize("typed, says", [(GAP.replace("T", " "), "does not exist on this day"),
                                         (DOUBLED.replace("T", " "), "happens twice on this day")])
def test_a_fault_start_in_the_gap_or_the_doubled_hour_is_refused_on_the_form(
        make_customer, make_login, signed_in, typed, says):
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    browser.post("/language", {"language": "en"})
    page = browser.post("/incidents/new", _form(customer, started_at=typed))
    assert page.status_code == 200 and says in page.get_data(as_text=True)
    assert _count(Incident) == 0


@pytest.mark.parametrize("typed, says", [(GAP, "gibt es an diesem Tag nicht"), (DOUBLED, "gibt es an diesem Tag zweimal")])
def test_a_fault_start_in_the_gap_or_the_doubled_hour_is_refused_by_the_api(app, make_customer, typed, says):
    from console.incidents import services
    from tests.incidents.factories import qualified_data
    customer = make_customer()
    _token, plain = services.issue_token(customer.reseller, "Ticketsystem")
    db.session.flush()
    with app.app_context():
        response = app.test_client().post("/api/v1/incidents", json=dict(qualified_data(customer), started_at=typed),
                                          headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 422
    invalid = {item["field"]: item["message"] for item in response.get_json()["invalid"]}
    assert says in invalid["started_at"]
    assert _count(Incident) == 0


def test_a_fault_start_with_an_offset_inside_the_doubled_hour_is_that_instant(make_customer, make_login, signed_in):
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    page = browser.post("/incidents/new", _form(customer, started_at="2026-10-25T02:30+01:00"))
    assert page.status_code == 303
    assert db.session.scalar(select(Incident)).started_at == utc(2026, 10, 25, 1, 30)

"""The report form: the fault's start from a date and a time field, and the urgency the reseller suggests."""
import re

from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Incident, Priority
from tests.conftest import berlin
from tests.incidents.test_reports import _form


def _reseller(make_customer, make_login, signed_in, language="de"):
    customer = make_customer()
    return customer, signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language=language))


def test_the_start_is_picked_with_a_date_and_a_time_field_and_kept_on_errors(make_customer, make_login,
                                                                             signed_in):
    customer, browser = _reseller(make_customer, make_login, signed_in, language="en")
    browser.post("/language", {"language": "en"})
    page = browser.get("/incidents/new").get_data(as_text=True)
    assert re.search(r'<input type="date" id="started_at" name="started_at"', page)
    assert re.search(r'<input type="time" id="started_at-time" name="started_at"', page)
    assert "e.g. 2026-11-27 09:30" not in page   # nothing to type in ISO form

    data = _form(customer)
    data["started_at"] = ["2026-11-27", ""]   # the day, but no time
    html = browser.post("/incidents/new", data).get_data(as_text=True)
    assert "Give the date and the time." in html and "Start of the fault is missing" not in html
    assert 'value="2026-11-27"' in html and "Max Mustermann" in html   # what was typed stays
    assert db.session.scalar(select(Incident)) is None

    data["started_at"] = ["2026-11-27", "16:30"]
    assert browser.post("/incidents/new", data).status_code == 303
    assert db.session.scalar(select(Incident)).started_at == berlin(2026, 11, 27, 16, 30)


def test_the_impact_implies_the_urgency_and_the_reseller_may_suggest_another(make_customer, make_login,
                                                                             signed_in):
    customer, browser = _reseller(make_customer, make_login, signed_in)
    page = browser.get("/incidents/new").get_data(as_text=True)
    assert "Dringlichkeit (Ihr Vorschlag)" in page and "Wie die Auswirkung es ergibt" in page
    assert browser.post("/incidents/new", _form(customer, impact="pbx", title="Alles tot")).status_code == 303
    assert browser.post("/incidents/new", _form(customer, impact="one_user", priority="P2",
                                                title="Ein Apparat")).status_code == 303
    outage, single = db.session.scalars(select(Incident).order_by(Incident.id)).all()
    assert outage.priority is Priority.P1   # a total outage is P1
    assert single.priority is Priority.P2   # the reseller's suggestion

    staff = signed_in(make_login(Role.STAFF_SUPPORT))
    detail = staff.get(f"/incidents/{single.id}").get_data(as_text=True)
    assert "Vom Meldenden vorgeschlagene Dringlichkeit" in detail
    staff.post(f"/incidents/{single.id}/attributes", {"state": "new", "priority": "P4", "assignee_id": "0"})
    detail = re.sub(r"\s+", " ", staff.get(f"/incidents/{single.id}").get_data(as_text=True))
    assert "von stimme gesetzt: P4" in detail and "Vorgeschlagene Dringlichkeit: P2." in detail
    assert "Priorität: P2 → P4" in detail


def test_completing_a_mailed_report_shows_its_start_in_the_two_fields(make_customer, make_login, signed_in):
    from tests.incidents.factories import make_incident
    customer, browser = _reseller(make_customer, make_login, signed_in)
    incident = make_incident(customer)   # started 2026-11-27 09:30 Berlin
    page = browser.get(f"/incidents/{incident.id}/complete").get_data(as_text=True)
    assert 'type="date" id="started_at" name="started_at" value="2026-11-27"' in page
    assert 'name="started_at" value="09:30"' in page
    assert "Dringlichkeit (Ihr Vorschlag)" not in page


def test_the_sites_are_checkboxes_and_the_ticked_ones_stay_ticked_after_an_error(make_customer, make_login,
                                                                                 signed_in):
    from console.accounts import services as accounts
    customer, browser = _reseller(make_customer, make_login, signed_in)
    second = accounts.save_site(None, pbx=customer.pbx, name="Lager", street="Weg 2", postcode="10115",
                                city="Berlin")
    db.session.commit()
    data = _form(customer)
    page = browser.get(f"/incidents/new?customer_id={customer.id}").get_data(as_text=True)
    assert 'type="checkbox" name="site_ids"' in page and 'id="site_ids" multiple' not in page
    assert "Strg" not in page and "Ctrl" not in page
    data["site_ids"] = [str(customer.pbx.sites[0].id), str(second.id)]
    data["category"] = ""                     # an error: the form comes back
    html = browser.post("/incidents/new", data).get_data(as_text=True)
    ticked = re.findall(r'<input type="checkbox" name="site_ids" value="(\d+)" checked>', html)
    assert sorted(ticked) == sorted(data["site_ids"])
    data["category"] = _form(customer)["category"]
    assert browser.post("/incidents/new", data).status_code == 303
    assert {s.name for s in db.session.scalar(select(Incident)).sites} == {customer.pbx.sites[0].name, "Lager"}

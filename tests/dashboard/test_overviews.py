"""The staff dashboard shows the saved overviews of the fault-report list, each with its count and link."""
import re

from console.auth.models import Role
from console.incidents import services
from console.incidents.models import State
from tests.conftest import berlin
from tests.incidents.factories import make_incident


def test_staff_see_their_overviews_with_counts_in_german_and_english(make_customer, make_login, signed_in,
                                                                    freeze):
    freeze(berlin(2026, 11, 30, 9, 0))
    customer = make_customer()
    anna = make_login(Role.STAFF_SUPPORT)
    services.assign(make_incident(customer), anna, anna)
    waiting = make_incident(customer)
    services.change_state(waiting, State.WAITING, anna, question="Welche Nebenstelle?")
    german = re.sub(r"\s+", " ", signed_in(anna).get("/").get_data(as_text=True))
    assert "Übersichten der Störungsmeldungen" in german
    assert '<a href="/incidents/?view=mine"><strong>1</strong>Mir zugewiesen</a>' in german
    assert '<a href="/incidents/?view=unassigned"><strong>1</strong>Nicht zugewiesen</a>' in german
    assert '<a href="/incidents/?view=waiting"><strong>1</strong>Wartet auf Reseller</a>' in german
    assert "SLA fällig in den nächsten 2 Servicestunden" in german

    ben = make_login(Role.STAFF_SUPPORT, language="en")
    english = re.sub(r"\s+", " ", signed_in(ben).get("/").get_data(as_text=True))
    assert '<strong>0</strong>Assigned to me' in english and "<strong>1</strong>Waiting for reseller" in english


def test_resellers_see_only_what_waits_for_them(make_customer, make_login, signed_in):
    customer = make_customer()
    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    html = re.sub(r"\s+", " ", reseller.get("/").get_data(as_text=True))
    assert "<strong>0</strong>Waiting for reseller" in html and "Assigned to me" not in html

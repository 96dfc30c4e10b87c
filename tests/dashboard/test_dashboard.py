"""The overview each role lands on: what needs attention, limited to what the role may see."""
from console.auth.models import Role
from tests.conftest import berlin
from tests.incidents.factories import make_incident, make_outage


def test_staff_overview_counts_open_reports_and_shows_availability(make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 30, 10))
    a, b = make_customer(name="Alpha GmbH"), make_customer(name="Beta AG")
    make_incident(a, title="Kein Freizeichen")
    make_incident(b, title="Fax hängt")
    make_outage(platform_wide=True, hours=2)
    page = signed_in(make_login(Role.STAFF_ADMIN, language="en")).get("/").get_data(as_text=True)
    assert "<strong>2</strong></a>open fault reports" in page
    assert "availability 2026" in page and "99.975 %" in page  # two hours down in 333 days


def test_reseller_overview_counts_only_its_own_reports(make_customer, make_login, signed_in):
    a, b = make_customer(name="Alpha GmbH"), make_customer(name="Beta AG")
    make_incident(a)
    make_incident(b)
    make_incident(b)
    page = signed_in(make_login(Role.RESELLER, reseller=a.reseller, language="en")).get("/").get_data(as_text=True)
    assert "<strong>1</strong></a>open fault reports" in page
    assert "availability" not in page  # the platform figures are for staff


def test_customer_admin_overview_has_no_fault_reports(make_customer, make_login, signed_in):
    customer = make_customer()
    make_incident(customer)
    page = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer, language="en")).get("/").get_data(as_text=True)
    assert "open fault reports" not in page and customer.pbx.name in page

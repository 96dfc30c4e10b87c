"""The demo data `make run` loads: complete enough to try every screen, and loaded only once."""
from sqlalchemy import func, select

from console.accounts.models import Customer, LicenceKind, Package, PhoneUser, Pbx, Reseller
from console.auth.models import Login
from console.demo import load_demo_data
from console.extensions import db
from console.incidents.models import Incident
from console.maintenance.models import MaintenanceWindow


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_data_is_complete_and_idempotent():
    assert load_demo_data() is True
    assert count(Reseller) >= 2 and count(Customer) >= 3
    assert count(Pbx, Pbx.licence == LicenceKind.DEMO) == 1
    assert {p for (p,) in db.session.execute(select(PhoneUser.package).distinct())} == set(Package)
    emails = set(db.session.scalars(select(Login.email)))
    assert {"staff@example.com", "reseller@example.com", "reseller2@example.com", "customer-admin@example.com",
            "user@example.com"} <= emails
    assert count(Incident) == 2 and count(MaintenanceWindow) == 2
    before = (count(Customer), count(Login), count(Incident), count(MaintenanceWindow))
    load_demo_data()
    assert (count(Customer), count(Login), count(Incident), count(MaintenanceWindow)) == before


def test_demo_logins_sign_in_with_the_documented_password(app):
    from tests.conftest import Browser
    load_demo_data()
    browser = Browser(app)
    assert browser.login("reseller@example.com", "demo").status_code == 303
    page = browser.get("/incidents/").get_data(as_text=True)
    assert "Keine eingehenden Anrufe in der Zentrale" in page

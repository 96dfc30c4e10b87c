"""Seeing what is coming: list, calendar, banner, and the token feeds, each limited to what the viewer may see."""
from xml.etree import ElementTree as ET

import icalendar
import pytest

from console.auth.models import Role
from console.extensions import db
from console.maintenance.models import FeedToken, MaintenanceWindow, WindowState
from tests.conftest import berlin


@pytest.fixture(autouse=True)
def monday(freeze):
    freeze(berlin(2026, 11, 30, 10))


@pytest.fixture
def windows(network, schedule):
    nord, sued, kunde_nord, kunde_sued = network
    return {
        "platform": schedule(berlin(2026, 12, 8, 22), berlin(2026, 12, 9, 2), title_de="Plattform-Update",
                             title_en="Platform update"),
        "nord": schedule(berlin(2026, 12, 10, 22), berlin(2026, 12, 11, 1), pbxs=[kunde_nord.pbx],
                         title_de="Nur Nord", title_en="North only"),
        "sued": schedule(berlin(2026, 12, 12, 9), berlin(2026, 12, 12, 12), pbxs=[kunde_sued.pbx],
                         title_de="Nur Süd", title_en="South only"),
    }


def test_each_role_sees_what_affects_it(network, windows, make_login, signed_in):
    nord, sued, kunde_nord, kunde_sued = network
    reseller = signed_in(make_login(Role.RESELLER, reseller=nord))
    listing = reseller.get("/maintenance/").get_data(as_text=True)
    assert "Plattform-Update" in listing and "Nur Nord" in listing and "Nur Süd" not in listing
    calendar = reseller.get("/maintenance/calendar?month=2026-12").get_data(as_text=True)
    assert "Nur Nord" in calendar and "Nur Süd" not in calendar and "Erster Weihnachtstag" in calendar
    assert reseller.get(f"/maintenance/{windows['sued'].id}").status_code == 404
    user = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=kunde_sued))
    assert "Nur Süd" in user.get("/maintenance/").get_data(as_text=True)
    assert user.get(f"/maintenance/{windows['nord'].id}").status_code == 404


def test_holiday_names_are_in_the_page_language(make_login, signed_in):
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    german = staff.get("/maintenance/calendar?month=2026-12").get_data(as_text=True)
    assert "Erster Weihnachtstag" in german and "Christmas Day" not in german
    staff.post("/language", {"language": "en"})
    english = staff.get("/maintenance/calendar?month=2026-10").get_data(as_text=True)
    assert "German Unity Day" in english and "Tag der Deutschen Einheit" not in english


def test_banner_shows_announced_windows_to_the_affected(network, windows, make_login, signed_in):
    nord, *_ = network
    page = signed_in(make_login(Role.RESELLER, reseller=nord)).get("/customers/").get_data(as_text=True)
    assert "maintenance-banner" in page and "Plattform-Update" in page and "Nur Süd" not in page


def test_staff_schedule_through_the_form_in_berlin_time(make_login, signed_in, network):
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    bad = staff.post("/maintenance/new", {"kind": "regular", "reason": "", "starts_at": "2026-12-08T16:30",
                                          "ends_at": "2026-12-08T18:00", "title_de": "Test", "title_en": ""})
    assert bad.status_code == 200 and "2026, 17:00" in bad.get_data(as_text=True)
    good = staff.post("/maintenance/new", {"kind": "regular", "reason": "", "starts_at": "2026-12-08T22:00",
                                           "ends_at": "2026-12-09T02:00", "title_de": "Test", "title_en": ""})
    assert good.status_code == 303
    window = db.session.scalars(db.select(MaintenanceWindow)).one()
    assert window.starts_at == berlin(2026, 12, 8, 22) and window.state is WindowState.ANNOUNCED


def test_only_staff_schedule(network, make_login, signed_in):
    nord, *_ = network
    assert signed_in(make_login(Role.RESELLER, reseller=nord)).get("/maintenance/new").status_code == 403


def test_feeds_parse_and_show_only_the_tokens_reseller(network, windows, browser):
    nord, *_ = network
    token = FeedToken(reseller_id=nord.id)
    db.session.add(token)
    db.session.flush()
    ics = browser.get(f"/maintenance/feed/{token.url_secret}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    events = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == ["Nur Nord", "Plattform-Update"]
    atom = browser.get(f"/maintenance/feed/{token.url_secret}.atom")
    root = ET.fromstring(atom.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.find("a:title", ns).text for e in root.findall("a:entry", ns)]
    assert len(titles) == 2 and not any("Süd" in t for t in titles)
    assert browser.get("/maintenance/feed/wrong-token.ics").status_code == 404
    assert browser.get("/maintenance/feed/wrong-token.atom").status_code == 404


def test_reseller_creates_a_feed_address_and_customer_admin_opts_in(network, make_login, signed_in):
    nord, sued, kunde_nord, kunde_sued = network
    reseller = signed_in(make_login(Role.RESELLER, reseller=nord))
    reseller.post("/maintenance/notices", {"action": "new_feed_token"})
    page = reseller.get("/maintenance/notices").get_data(as_text=True)
    assert "/maintenance/feed/" in page
    admin_login = make_login(Role.CUSTOMER_ADMIN, customer=kunde_sued)
    admin = signed_in(admin_login)
    assert admin.post("/maintenance/notices", {"action": "opt_in"}).status_code == 303
    from console.maintenance.models import NoticeOptIn
    assert db.session.get(NoticeOptIn, admin_login.id) is not None

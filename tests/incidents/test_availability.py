"""Availability (§7.6): unannounced outage time only, per calendar year, platform-wide and per customer."""
import pytest

from console.auth.models import Role
from console.incidents import availability
from console.incidents.availability import budget_seconds, format_duration, year_report
from tests.conftest import berlin
from tests.incidents.factories import make_outage

HOUR = 3600


@pytest.fixture
def windows():
    """A fake maintenance feature: the announced windows the test lists."""
    announced = []
    availability.set_windows_provider(lambda start, end: [w for w in announced if w[0] < end and w[1] > start])
    yield announced
    availability.set_windows_provider(None)


def test_without_a_maintenance_provider_there_are_no_windows():
    assert availability.announced_windows(berlin(2026, 1, 1), berlin(2027, 1, 1)) == []


def test_announced_windows_are_not_outage_time(make_customer, windows):
    a, b = make_customer(), make_customer()
    make_outage(start=berlin(2026, 3, 10, 10), hours=4, platform_wide=True)
    windows.append((berlin(2026, 3, 10, 11), berlin(2026, 3, 10, 12), None))            # whole platform
    windows.append((berlin(2026, 3, 10, 13, 30), berlin(2026, 3, 10, 15), [a.pbx.id]))  # only PBX a
    now = berlin(2027, 2, 1)
    assert year_report(2026, None, now).so_far.outage_seconds == 3 * HOUR
    assert year_report(2026, a.pbx.id, now).so_far.outage_seconds == 2.5 * HOUR
    assert year_report(2026, b.pbx.id, now).so_far.outage_seconds == 3 * HOUR


def test_an_outage_spanning_new_year_counts_in_each_year(make_customer):
    make_outage(start=berlin(2026, 12, 31, 23), hours=3, platform_wide=True)
    now = berlin(2028, 1, 1, 12)
    y2026, y2027 = year_report(2026, None, now), year_report(2027, None, now)
    assert y2026.so_far.outage_seconds == 1 * HOUR and y2027.so_far.outage_seconds == 2 * HOUR
    assert y2026.so_far.ratio == pytest.approx(1 - HOUR / (365 * 24 * HOUR))
    assert y2027.budget_left_seconds == budget_seconds(2027) - 2 * HOUR


def test_a_pbx_outage_counts_for_its_customer_only(make_customer):
    a, b = make_customer(), make_customer()
    make_outage([a.pbx], start=berlin(2026, 5, 4, 9), hours=2)
    make_outage(start=berlin(2026, 5, 5, 9), hours=1, platform_wide=True)
    make_outage([a.pbx], start=berlin(2026, 5, 5, 9, 30), hours=1)   # overlaps the platform outage: counted once
    now = berlin(2026, 6, 1)
    assert year_report(2026, a.pbx.id, now).so_far.outage_seconds == 3.5 * HOUR
    assert year_report(2026, b.pbx.id, now).so_far.outage_seconds == 1 * HOUR
    assert year_report(2026, None, now).so_far.outage_seconds == 1 * HOUR


def test_the_budget_is_0_2_percent_of_the_actual_year():
    assert budget_seconds(2026) == pytest.approx(63072)
    assert format_duration(budget_seconds(2026)) == "17 h 31 min 12 s"
    assert format_duration(budget_seconds(2028)) == "17 h 34 min 04.8 s"


def test_an_ongoing_outage_counts_until_now(make_customer):
    from console.incidents import services
    services.save_outage(None, start=berlin(2026, 7, 1, 10), end=None, platform_wide=True, pbxs=[], incidents=[],
                         description="läuft noch")
    assert year_report(2026, None, berlin(2026, 7, 1, 10, 30)).so_far.outage_seconds == 1800


def test_the_dashboard_shows_availability_budget_and_chart(make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 29, 12))
    customer = make_customer(name="Dashboard GmbH")
    make_outage(start=berlin(2026, 2, 3, 10), hours=20, platform_wide=True)   # more than the whole budget
    browser = signed_in(make_login(Role.STAFF_SUPPORT, language="en"))
    html = browser.get("/incidents/availability").get_data(as_text=True)
    assert "<svg" in html and html.count("<rect") == 12
    assert "−2 h 28 min 48 s" in html   # 17 h 31 min 12 s − 20 h
    assert "#c62828" in html            # February missed the target
    per_customer = browser.get(f"/incidents/availability?customer_id={customer.id}").get_data(as_text=True)
    assert "Dashboard GmbH" in per_customer


def test_the_chart_speaks_the_readers_language_and_labels_a_month_below_its_axis(make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 29, 12))
    make_outage(start=berlin(2026, 4, 1, 0), hours=24 * 3, platform_wide=True)   # April: 90 %, below the 99 % axis
    browser = signed_in(make_login(Role.STAFF_SUPPORT, language="de"))
    html = browser.get("/incidents/availability").get_data(as_text=True)
    assert ">99,8 %</text>" in html and ">99.8 %</text>" not in html   # axis labels with a German decimal comma
    assert ">90,0 %</text>" in html    # the empty April bar carries its value

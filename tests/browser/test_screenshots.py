"""`make screenshots`: PNGs of the main pages, from the live console with the demo data, for the README.

Runs only when SCREENSHOTS names the folder to write to (the Makefile sets docs/screenshots)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import new_page, sign_in

pytestmark = [pytest.mark.no_db, pytest.mark.skipif(not os.environ.get("SCREENSHOTS"),
                                                     reason="make screenshots sets SCREENSHOTS")]

SHOTS = [  # (login, path or a link to follow from the list, file)
    ("staff@example.com", "/", "staff-desk.png"),
    ("staff@example.com", "/incidents/", "incidents.png"),
    ("staff@example.com", "incident", "fault-report.png"),
    ("staff@example.com", "/incidents/availability", "availability.png"),
    ("staff@example.com", "/maintenance/calendar", "maintenance-calendar.png"),
    ("reseller@example.com", "/", "reseller-overview.png"),
    ("customer-admin@example.com", "/directory/", "phonebook.png"),
]


def test_screenshots(browser, console):
    folder = Path(os.environ["SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    try:
        for role, path, name in SHOTS:
            if role not in pages:
                pages[role] = new_page(browser, console, width=1366, height=900)
                sign_in(pages[role], role)
            page = pages[role]
            if path == "incident":   # the first fault report in the list
                page.goto("/incidents/")
                page.goto(page.locator("main table a[href^='/incidents/']").first.get_attribute("href"))
            else:
                page.goto(path)
            page.screenshot(path=str(folder / name), full_page=True)
        phone = new_page(browser, console, width=390, height=844)
        sign_in(phone, "reseller@example.com")
        phone.goto("/incidents/")
        phone.screenshot(path=str(folder / "phone-incidents.png"))
        phone.context.close()
    finally:
        for page in pages.values():
            page.context.close()
    assert {name for _, _, name in SHOTS} <= {p.name for p in folder.glob("*.png")}

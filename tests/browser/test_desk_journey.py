"""The fault-report journey in chromium (issue 14), against the console as `make run` starts it with the demo
data: the reseller files a qualified report (first with fields missing); staff assign it to themselves and ask
a question (state: waiting), and the question arrives in the mail sink; the reseller answers from the mail's
link; staff resolve it with a note, which the reseller receives."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import new_page, sign_in

pytestmark = pytest.mark.no_db

RESELLER, STAFF = "reseller@example.com", "support@example.com"


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _timeline(page) -> str:
    return " ".join(page.locator("ol.timeline").inner_text().split())


def test_report_ask_answer_resolve(browser, console):
    reseller, staff = new_page(browser, console), new_page(browser, console)
    try:
        # the reseller reports, first with only a title: every missing field is named, the title kept
        sign_in(reseller, RESELLER)
        reseller.goto("/incidents/new")
        reseller.fill("#title", "Backstube: keine Anrufe von extern")
        reseller.select_option("#customer_id", label="Bäckerei Sonnenschein · sonnenschein.stimme.cloud")
        reseller.locator("form[enctype=\"multipart/form-data\"] button[type=submit]").first.click()
        reseller.wait_for_selector(".form-errors")
        main = reseller.inner_text("main")
        for missing in ("Kategorie fehlt", "Auswirkung fehlt", "Beispielanrufe (Zeit, von, an) fehlt"):
            assert missing in main, missing
        assert reseller.input_value("#title") == "Backstube: keine Anrufe von extern"
        heights = reseller.eval_on_selector_all("main .actions > *", "els => els.map(e => e.offsetHeight)")
        assert len(heights) == 2 and len(set(heights)) == 1, f"submit and Cancel differ in height: {heights}"

        reseller.locator("fieldset.choices").get_by_label("Backstube", exact=True).check()   # checkboxes, no Ctrl
        reseller.select_option("#category", value="no_incoming")
        reseller.select_option("#impact", value="pbx")
        reseller.fill("#affected_numbers", "0431 554431")
        reseller.fill("#started_at", "2026-12-01")          # the date field …
        reseller.fill("#started_at-time", "09:30")          # … and the time field, no ISO text to type
        reseller.select_option("#pattern", value="continuing")
        reseller.fill("#reproduction", "Von extern 0431 554431 anrufen: Besetztton.")
        reseller.fill("#example_calls", "2026-12-01 09:41, 0171 2345678, 0431 554431")
        reseller.fill("#contact_name", "Heike Sonnenschein")
        reseller.fill("#contact_phone", "0431 554430")
        with reseller.expect_navigation():
            reseller.locator("form[enctype=\"multipart/form-data\"] button[type=submit]").first.click()
        reseller.wait_for_selector("form[action$='/attachments']")
        # a boosted form keeps /incidents/new in the address bar (htmx pushes the request's URL, not the
        # redirect's): the report's own address is read from the page
        number = re.search(r"\d{4}-\d{6}", reseller.inner_text("h1")).group(0)
        detail = re.search(r"/incidents/\d+", reseller.locator("form[action$='/attachments']")
                           .get_attribute("action")).group(0)
        assert "Vom Meldenden vorgeschlagene Dringlichkeit" in reseller.inner_text("main")   # total outage → P1

        # staff take it and ask a question; the panel and the composer save in place (htmx)
        sign_in(staff, STAFF)
        staff.goto(detail)
        staff.get_by_role("button", name="Mir zuweisen").click()
        staff.wait_for_selector("#desk .flash-success")
        assert "Sven Support hat die Meldung sich selbst zugewiesen." in _timeline(staff)
        question = "Ist der ISDN-Anschluss im Gateway eingesteckt? Bitte ein Foto der LEDs."
        staff.fill("#body", question)
        staff.select_option("#state_after", value="waiting")
        staff.locator("#desk form:has(#body) button[type=submit]").click()
        staff.locator("ol.timeline", has_text="Wartet auf Reseller").wait_for()
        assert "Status: In Bearbeitung → Wartet auf Reseller" in _timeline(staff)
        assert "@" not in _timeline(staff)   # display names, not addresses

        mail = console.wait_for_mail(lambda m: number in m["Subject"] and "Antwort" in m["Subject"])
        assert mail["To"] == RESELLER
        text = _plain(mail)
        assert question in text
        link = re.search(r"Hier antworten: (\S+)", text).group(1)
        assert urlsplit(link).path == detail

        # the reseller answers from the mail's link: the report runs again
        reseller.goto(urlsplit(link).path)
        assert question in reseller.inner_text("main")
        reseller.fill("#body", "Ja, eingesteckt. Die LED leuchtet rot.")
        reseller.locator("#desk form:has(#body) button[type=submit]").click()
        reseller.locator("ol.timeline", has_text="Wartet auf Reseller → In Bearbeitung").wait_for()

        # staff resolve with a note; the reseller receives it
        staff.reload()
        assert "Die LED leuchtet rot." in _timeline(staff)
        staff.fill("#body", "Das Gateway hatte den Anschluss deaktiviert; wieder aktiviert, Anrufe kommen an.")
        staff.select_option("#state_after", value="resolved")
        staff.locator("#desk form:has(#body) button[type=submit]").click()
        staff.locator("ol.timeline", has_text="→ Gelöst").wait_for()
        resolved = console.wait_for_mail(lambda m: number in m["Subject"] and "gelöst" in m["Subject"])
        assert "wieder aktiviert, Anrufe kommen an." in _plain(resolved)
        assert reseller.problems.all() == [] and staff.problems.all() == [], \
            "\n".join(reseller.problems.all() + staff.problems.all())
    finally:
        reseller.context.close()
        staff.context.close()

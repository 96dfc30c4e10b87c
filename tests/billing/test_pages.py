"""The billing screens as staff see them, the accounting system's JSON, and who is kept out."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from console.auth import tokens
from console.auth.models import Role
from console.billing import services
from console.billing.models import BillingToken
from console.incidents import services as incidents

UTC = timezone.utc


def test_staff_draft_review_and_finalise_a_month_on_the_screens(november_customer, make_login, signed_in, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="de"))
    assert 'href="/billing/"' in staff.get("/").get_data(as_text=True)
    drafted = staff.post("/billing/run", {"month": "2026-11"})
    assert drafted.status_code == 303 and drafted.headers["Location"].endswith("/billing/2026-11")
    page = staff.get("/billing/2026-11").get_data(as_text=True)
    assert november_customer.reseller.name in page and "59,50" in page  # gross 5950 cents, German
    reseller = staff.get(f"/billing/2026-11/reseller/{november_customer.reseller_id}").get_data(as_text=True)
    assert "Klare stimme" in reseller and "50,00" in reseller
    curve = staff.get(f"/billing/2026-11/customer/{november_customer.id}?rows=klare").get_data(as_text=True)
    assert curve.count("<svg") >= 6 and 'class="peak"' in curve and "Höchststand 3" in curve
    assert "user_added" in curve  # the history row that made the peak, one click away
    assert staff.post("/billing/2026-11/finalise").status_code == 303
    assert services.find_run(2026, 11).state.value == "final"
    csv_export = staff.get("/billing/2026-11/export/csv")
    assert csv_export.mimetype == "text/csv" and "Brutto" in csv_export.get_data(as_text=True)
    assert staff.get("/billing/2026-11/export/pdf").data.startswith(b"%PDF")


def test_bad_months_are_a_clear_error_or_404_never_a_500(make_login, signed_in, freeze, price_list):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    refused = staff.post("/billing/run", {"month": "2026-13"})
    assert refused.status_code == 303
    assert "Write the month as YYYY-MM" in staff.get("/billing/").get_data(as_text=True)
    far = staff.post("/billing/run", {"month": "1999-11"})  # the form's pattern passes, the year range does not
    assert far.status_code == 303
    assert "Write the month as YYYY-MM" in staff.get("/billing/").get_data(as_text=True)
    staff.post("/billing/run", {"month": "2026-12"})
    assert "is not over yet" in staff.get("/billing/").get_data(as_text=True)
    for path in ("/billing/2026-99", "/billing/2026-10", "/billing/2026-11/export/xls",
                 "/billing/2026-11/customer/999999", "/billing/2026-11/reseller/999999"):
        assert staff.get(path).status_code == 404, path
    bad_price = staff.post("/billing/prices", {"item": "klare", "price": "zwölf", "valid_from": "2026-12-01"})
    assert bad_price.status_code == 200 and "is not a price" in bad_price.get_data(as_text=True)


def test_resellers_and_customers_see_no_billing(november_customer, make_login, signed_in, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    services.draft(2026, 11)
    reseller = signed_in(make_login(Role.RESELLER, reseller=november_customer.reseller))
    assert 'href="/billing/"' not in reseller.get("/").get_data(as_text=True)
    for path in ("/billing/", "/billing/2026-11", f"/billing/2026-11/customer/{november_customer.id}"):
        assert reseller.get(path).status_code == 403, path
    assert reseller.post("/billing/2026-11/finalise").status_code == 403


def test_the_accounting_system_reads_finalised_months_with_its_token_only(
        november_customer, make_login, signed_in, browser, freeze):
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    issued = staff.post("/billing/tokens", {"name": "DATEV export"}).get_data(as_text=True)
    plain = re.search(r"<code>(stb_[^<]+)</code>", issued).group(1)
    good = {"Authorization": f"Bearer {plain}"}
    run = services.draft(2026, 11)
    assert browser.get("/api/billing/statements/2026-11", headers=good).status_code == 404  # a draft
    services.finalise(run, "staff")
    fetched = browser.get("/api/billing/statements/2026-11", headers=good)
    assert fetched.status_code == 200
    body = fetched.get_json()
    assert body["statements"][0]["totals_cents"] == {"net": 5000, "vat": 950, "gross": 5950}
    _row, reseller_token = incidents.issue_token(november_customer.reseller, "their ticket system")
    for headers in ({}, {"Authorization": f"Bearer {reseller_token}"}, {"Authorization": "Bearer stb_guess"}):
        refused = browser.get("/api/billing/statements/2026-11", headers=headers)
        assert refused.status_code == 401 and "Bearer" in refused.get_json()["error"]
    tokens.revoke(tokens.find(BillingToken, plain))
    assert browser.get("/api/billing/statements/2026-11", headers=good).status_code == 401

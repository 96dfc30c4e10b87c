from console.auth.models import Role


def test_healthz_reports_database(browser):
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["database"]["ok"] is True


def test_staff_sees_customer(make_customer, make_login, signed_in):
    customer = make_customer(name="Müller & Söhne")
    b = signed_in(make_login(Role.STAFF_ADMIN))
    page = b.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert "Müller &amp; Söhne" in page.get_data(as_text=True)

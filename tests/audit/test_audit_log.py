"""Every change made through the console is in the audit log: who, when, what, before and after."""
from sqlalchemy import select

from console.audit.models import AuditEntry
from console.auth.models import Role
from console.extensions import db


def entries(object_type: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == object_type)
                                   .order_by(AuditEntry.id)))


def test_a_change_through_the_console_records_who_and_before_after(make_customer, make_login, signed_in, freeze):
    from tests.conftest import utc
    customer = make_customer(name="Alt GmbH")
    staff = make_login(Role.STAFF_SUPPORT, email="sven@stimme.example")
    browser = signed_in(staff)
    freeze(utc(2026, 11, 30, 10, 15))
    response = browser.post(f"/customers/{customer.id}/edit", {"name": "Neu GmbH", "customer_number": "K-9",
                                                               "contact_email": ""})
    assert response.status_code == 303
    update = entries("Customer")[-1]
    assert update.action == "update"
    assert update.actor_id == staff.id and "sven@stimme.example" in update.actor
    assert update.before == {"name": "Alt GmbH", "customer_number": None}
    assert update.after == {"name": "Neu GmbH", "customer_number": "K-9"}
    assert update.at == utc(2026, 11, 30, 10, 15)
    assert update.request_id


def test_create_and_delete_are_recorded(make_customer, make_user):
    from console.accounts import services
    customer = make_customer()
    user = make_user(customer, first_name="Jörg", last_name="Weiß")
    user_id = user.id
    services.delete_phone_user(user)
    created, deleted = entries("PhoneUser")
    assert created.action == "create" and created.object_id == user_id and created.after["first_name"] == "Jörg"
    assert deleted.action == "delete" and deleted.before["last_name"] == "Weiß" and deleted.after is None


def test_secrets_never_reach_the_audit_log(make_login):
    login = make_login(Role.STAFF_ADMIN)
    created = [e for e in entries("Login") if e.action == "create"][-1]
    assert created.after["password_hash"] == "***"
    login.password_hash = "$argon2id$changed"
    db.session.flush()
    changed = entries("Login")[-1]
    assert changed.before == {"password_hash": "***"} and changed.after == {"password_hash": "***"}


def test_staff_browse_and_filter_the_log(make_customer, make_login, signed_in):
    make_customer(name="Filterbar KG")
    browser = signed_in(make_login(Role.STAFF_ADMIN))
    page = browser.get("/audit/?object_type=Customer&action=create").get_data(as_text=True)
    assert "Filterbar KG" in page
    assert "Filterbar KG" not in browser.get("/audit/?object_type=Site").get_data(as_text=True)
    assert "Filterbar KG" not in browser.get("/audit/?from=2099-01-01").get_data(as_text=True)
    fragment = browser.get("/audit/?q=filterbar", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Filterbar KG" in fragment


def test_only_staff_see_the_log(make_customer, make_login, signed_in):
    customer = make_customer()
    browser = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    assert browser.get("/audit/").status_code == 403


def test_the_log_reads_as_words_in_the_pages_language(make_customer, make_login, signed_in, freeze):
    from tests.conftest import utc
    customer = make_customer(name="Alt GmbH")
    browser = signed_in(make_login(Role.STAFF_ADMIN))
    freeze(utc(2026, 11, 30, 10, 15))
    browser.post(f"/customers/{customer.id}/edit", {"name": "Neu GmbH", "customer_number": "K-9", "contact_email": ""})
    german = browser.get("/audit/?object_type=Customer").get_data(as_text=True)
    assert "<dt>Kundennummer</dt>" in german or "<dt>Customer number</dt>" in german
    assert "Kunde #" in german and "30.11.2026, 11:15" in german      # model name, Berlin time without seconds
    assert "None" not in german and "&lt;Customer" not in german
    browser.post("/language", {"language": "en"})
    english = browser.get("/audit/?object_type=Customer").get_data(as_text=True)
    assert "Customer #" in english and "30 Nov 2026, 11:15" in english

"""Every route that writes is guarded by the permission writing needs (console.auth.permissions), never only by
the one reading needs; and templates ask can(action, kind), never which role a login has."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.auth.models import Role
from console.auth.permissions import MANAGE, VIEW
from console.extensions import db
from console.maintenance.models import FeedToken, NoticeOptIn

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that no role permission guards, and what guards them instead.
GUARDED_OTHERWISE = {
    "auth.login": "signing in",
    "auth.logout": "one's own session",
    "auth.language": "one's own language, signed in or not",
    "auth.change_password": "one's own password",
    "incidents_api.create_incident": "a reseller's bearer token (tests/incidents/test_api.py)",
    "voicemail_api.receive": "a PBX's voicemail token (tests/voicemail/test_refusals.py)",
    "fax_api.received": "the fax gateway's bearer token (tests/test_tenancy.py, tests/fax/)",
    "fax_api.claim": "the fax gateway's bearer token (tests/test_tenancy.py, tests/fax/)",
    "fax_api.result": "the fax gateway's bearer token (tests/test_tenancy.py, tests/fax/)",
    # viewers get the page without a form and a POST of theirs saves nothing (tests/directory/test_exchange.py):
    "directory.exchange_account": 'the view builds the form only for can("manage", "exchange")',
}


def test_every_write_route_needs_a_manage_permission(app):
    found, weak = set(), {}
    for rule in app.url_map.iter_rules():
        if not rule.methods & WRITES:
            continue
        found.add(rule.endpoint)
        if rule.endpoint in GUARDED_OTHERWISE:
            continue
        permission = getattr(app.view_functions[rule.endpoint], "permission", None)
        if permission is None:
            weak[rule.endpoint] = "no requires()"
            continue
        action, kinds, writes = permission
        if action != "manage" and not writes:
            weak[rule.endpoint] = f"only {action} {kinds}"
        table = MANAGE if action == "manage" else VIEW
        unknown = [k for k in kinds if k not in table] + [k for k in writes if k not in MANAGE]
        if unknown:
            weak[rule.endpoint] = f"unknown kinds {unknown}: nobody could pass"
    assert weak == {}
    assert len(found) > 50 and set(GUARDED_OTHERWISE) <= found  # the walk saw the routes; the list is current


ROLE_NAMES = "|".join(role.value for role in Role)


def test_templates_ask_can_never_a_role():
    templates = Path(__file__).resolve().parents[2] / "templates"
    checks = re.compile(rf"current_user\.role|is_staff|[\"']({ROLE_NAMES})[\"']")
    asks = re.compile(r"can\(\"\w+\", \"\w+\"\)")  # a kind may share a role's name: can("view", "reseller")
    offenders = [f"{path.relative_to(templates)}:{n}" for path in templates.rglob("*.html")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if checks.search(asks.sub("", line))]
    assert offenders == []


@pytest.fixture
def customer(make_customer):
    return make_customer(name="Müller GmbH")


@pytest.mark.parametrize("role, action, status", [
    (Role.STAFF_ADMIN, "opt_in", 403), (Role.STAFF_ADMIN, "new_feed_token", 403), (Role.END_USER, "opt_in", 403),
    (Role.CUSTOMER_ADMIN, "new_feed_token", 400), (Role.RESELLER, "opt_in", 400)])  # 400: the other role's action
def test_who_only_reads_the_notice_page_cannot_change_notices(customer, make_login, make_user, signed_in,
                                                              role, action, status):
    link = {Role.RESELLER: {"reseller": customer.reseller}, Role.CUSTOMER_ADMIN: {"customer": customer},
            Role.END_USER: {"phone_user": make_user(customer)}}.get(role, {})
    browser = signed_in(make_login(role, **link))
    assert browser.get("/maintenance/notices").status_code == 200
    assert browser.post("/maintenance/notices", {"action": action}).status_code == status
    assert db.session.scalar(select(func.count()).select_from(NoticeOptIn)) == 0
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_the_reseller_and_the_customer_admin_still_change_their_own_notices(customer, make_login, signed_in):
    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    assert reseller.post("/maintenance/notices", {"action": "new_feed_token"}).status_code == 303
    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=customer))
    assert admin.post("/maintenance/notices", {"action": "opt_in"}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 1
    assert db.session.scalar(select(func.count()).select_from(NoticeOptIn)) == 1


def test_an_end_user_cannot_import_into_the_shared_book(customer, make_login, make_user, signed_in):
    anna = signed_in(make_login(Role.END_USER, phone_user=make_user(customer)))
    upload = f"/pbx/{customer.pbx.id}/directory/shared/import"
    assert anna.get(upload).status_code == 403
    assert anna.get(f"/pbx/{customer.pbx.id}/directory/private/import").status_code == 200  # her own book

"""Every page renders for every role, without JavaScript, in German and in English."""
import re

import pytest

from console.accounts.models import Package
from console.auth.models import Role
from tests.directory.factories import directory_ids
from tests.mail.factories import mail_ids
from tests.billing.factories import billing_ids
from tests.fax import documents
from tests.fax.factories import fax_ids
from tests.voicemail.factories import voicemail_ids

GERMAN = ["Übersicht", "Abmelden"]
ENGLISH = ["Overview", "Sign out"]


@pytest.fixture
def world(configure, tmp_path, make_customer, make_user, make_login):
    configure(fax_dir=str(tmp_path / "fax"))
    customer = make_customer(name="Seitentest GmbH")
    user = make_user(customer, package=Package.VOLLE, first_name="Jürgen")
    logins = {
        Role.STAFF_ADMIN: make_login(Role.STAFF_ADMIN),
        Role.STAFF_SUPPORT: make_login(Role.STAFF_SUPPORT),
        Role.RESELLER: make_login(Role.RESELLER, reseller=customer.reseller),
        Role.CUSTOMER_ADMIN: make_login(Role.CUSTOMER_ADMIN, customer=customer),
        Role.END_USER: make_login(Role.END_USER, phone_user=user),
    }
    ids = {"reseller_id": customer.reseller_id, "customer_id": customer.id, "site_id": customer.pbx.sites[0].id,
           "trunk_id": customer.pbx.sites[0].trunk.id, "user_id": user.id, "login_id": logins[Role.END_USER].id,
           "window_id": _maintenance_window(customer).id, **_media(customer), **_incident(customer),
           **directory_ids(customer), **mail_ids(), **billing_ids(), **voicemail_ids(customer, user=user),
           **fax_ids(customer, user, documents.letter_pdf(1))}
    return logins, ids


def _maintenance_window(customer):
    from datetime import timedelta

    from console import clock
    from console.maintenance import services
    from console.maintenance.models import WindowKind
    start = services.earliest_start(WindowKind.REGULAR, timedelta(hours=2), clock.now() + timedelta(minutes=5))
    return services.schedule(actor_label="test", kind=WindowKind.REGULAR, reason=None, starts_at=start,
                             ends_at=start + timedelta(hours=2), pbxs=[customer.pbx], title_de="Wartung",
                             title_en="Maintenance")


def _media(customer):
    from console.media import services
    from console.media.models import MediaKind
    from tests.media.audiogen import sine, wav_bytes
    item = services.create_item(customer.pbx, kind=MediaKind.HOLD_MUSIC, name="Wartemusik")
    version = services.add_version("test", item, wav_bytes(sine(440, 0.5, 8000), 8000), "musik.wav")
    return {"item_id": item.id, "version_id": version.id}


def _incident(customer):
    from console.incidents import services
    from tests.incidents.factories import make_incident, make_outage
    incident = make_incident(customer)
    attachment = services.add_attachment(incident, "shot.png", "image/png", b"\x89PNG")
    token, _ = services.issue_token(customer.reseller, "Ticketsystem")
    return {"incident_id": incident.id, "attachment_id": attachment.id,
            "outage_id": make_outage([customer.pbx]).id, "token_id": token.id}


def _get_pages(app, ids):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule not in ("/static/<path:filename>", "/healthz", "/readyz", "/metrics", "/login") \
                and "<token>" not in rule.rule and not rule.rule.startswith("/api/") \
                and not rule.rule.endswith("/attachments/<int:attachment_id>") and not rule.rule.endswith(".wav") \
                and "/export/" not in rule.rule:  # JSON API, file downloads
            yield re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


@pytest.mark.parametrize("language, words", [("de", GERMAN), ("en", ENGLISH)])
@pytest.mark.parametrize("role", list(Role))
def test_every_page_renders_in_both_languages(app, world, signed_in, role, language, words):
    logins, ids = world
    browser = signed_in(logins[role])
    browser.post("/language", {"language": language})
    rendered = 0
    for path in _get_pages(app, ids):
        response = browser.get(path)
        assert response.status_code in (200, 403, 404), f"{role.value} {path} → {response.status_code}"
        if response.status_code != 200 or response.mimetype != "text/html":   # a download (PDF, WAV, CSV)
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}"' in html, path
        for word in words:
            assert word in html, f"{path} in {language} lacks {word!r}"
        # Scripts come from files in static/ (the Content-Security-Policy forbids inline ones).
        assert "<script" not in re.sub(r'<script src="/static/[\w./-]+" defer></script>', "", html), \
            f"{path} has inline script"
        assert "{{" not in html and "%(" not in html, f"{path} shows an unrendered placeholder"
        rendered += 1
    assert rendered >= 2


def test_forms_work_without_javascript(world, signed_in):
    """Plain form posts (no htmx headers) create objects and redirect (POST-redirect-GET)."""
    logins, ids = world
    browser = signed_in(logins[Role.RESELLER])
    response = browser.post(f"/customers/{ids['customer_id']}/sites/new", {
        "name": "Filiale Süd", "street": "Am Markt 1", "postcode": "80331", "city": "München"})
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/{ids['customer_id']}"
    assert "Filiale Süd" in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_validation_messages_in_the_users_language(world, signed_in):
    logins, ids = world
    browser = signed_in(logins[Role.CUSTOMER_ADMIN])
    bad = {"first_name": "A", "last_name": "B", "site_id": ids["site_id"], "extension": "999", "language": "de",
           "package": "klare"}
    german = browser.post(f"/customers/{ids['customer_id']}/users/new", bad).get_data(as_text=True)
    assert "Durchwahl 999" in german
    browser.post("/language", {"language": "en"})
    english = browser.post(f"/customers/{ids['customer_id']}/users/new", bad).get_data(as_text=True)
    assert "Extension 999 is outside the number block" in english


def test_lists_answer_htmx_with_a_fragment(world, signed_in):
    logins, _ = world
    browser = signed_in(logins[Role.STAFF_ADMIN])
    full = browser.get("/customers/?q=seitentest")
    fragment = browser.get("/customers/?q=seitentest", headers={"HX-Request": "true"})
    boosted = browser.get("/customers/?q=seitentest", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.get_data(as_text=True) and "<html" in boosted.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Seitentest GmbH" in body
    assert "HX-Request" in full.headers["Vary"]


def test_lists_paginate_and_search(make_customer, make_login, signed_in, app):
    reseller_customer = make_customer(name="Seite Null")
    for i in range(30):
        make_customer(reseller_customer.reseller, name=f"Paginiert {i:02d}", trunk=False)
    browser = signed_in(make_login(Role.RESELLER, reseller=reseller_customer.reseller))
    first = browser.get("/customers/?q=paginiert").get_data(as_text=True)
    second = browser.get("/customers/?q=paginiert&page=2").get_data(as_text=True)
    assert "Paginiert 00" in first and "Paginiert 29" not in first
    assert "Paginiert 29" in second and "Seite Null" not in second


def test_error_pages_carry_the_request_id(world, signed_in):
    logins, _ = world
    browser = signed_in(logins[Role.STAFF_ADMIN])
    response = browser.get("/customers/999999", headers={"X-Request-ID": "abc123"})
    assert response.status_code == 404
    assert "abc123" in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] == "abc123"

"""No route shows or changes another tenant's data; anonymous visitors are sent to sign in.

Every registered route is enumerated, so a new route without a tenancy check makes this test fail.
"""
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from console.accounts import services
from console.accounts.models import Provider, TrunkKind
from console.audit.models import AuditEntry
from console.auth.models import Role
from console.extensions import db
from tests.conftest import Browser
from tests.directory.factories import directory_ids
from tests.mail.factories import mail_ids
from tests.billing.factories import billing_ids
from tests.fax.factories import fax_ids
from tests.voicemail.factories import voicemail_ids

PUBLIC = {"/login", "/healthz", "/language", "/static/<path:filename>", "/api/v1/openapi.json",
          # for machines: /metrics answers a token or an allowed address (tests/ops/test_metrics.py), /readyz anyone
          "/metrics", "/readyz"}


@pytest.fixture
def tenants(make_reseller, make_customer, make_user, make_login):
    def tenant(tag: str):
        reseller = make_reseller(f"Reseller{tag} GmbH")
        customer = make_customer(reseller, name=f"Kunde{tag} AG")
        branch = services.save_site(None, pbx=customer.pbx, name=f"Filiale{tag}", street="Weg 1", postcode="10115",
                                    city="Berlin")
        trunk = services.save_trunk(None, site=branch, kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                                    provider_name=None, base_number=f"030 77{ord(tag)}00", first_extension="0",
                                    last_extension="9")
        user = make_user(customer, first_name=f"Nutzer{tag}", last_name=f"Person{tag}")
        window = _maintenance_of(customer, tag)
        media = _media_of(customer, tag)
        incident = _incident_of(customer, tag)
        directory = directory_ids(customer, tag)
        mail = mail_ids(tag)  # staff-only objects of no tenant: other roles get 403
        billing = billing_ids()  # staff-only as well
        voicemail = voicemail_ids(customer, tag, user)
        fax = fax_ids(customer, user)
        logins = {
            Role.RESELLER: make_login(Role.RESELLER, email=f"reseller{tag}@t.example", reseller=reseller),
            Role.CUSTOMER_ADMIN: make_login(Role.CUSTOMER_ADMIN, email=f"admin{tag}@t.example", customer=customer),
            Role.END_USER: make_login(Role.END_USER, email=f"user{tag}@t.example", phone_user=user),
        }
        return SimpleNamespace(reseller=reseller, customer=customer, site=branch, trunk=trunk, user=user, window=window,
                               media=media, incident=incident, directory=directory, mail=mail, billing=billing,
                               voicemail=voicemail, fax=fax,
                               logins=logins, names=[f"Reseller{tag} GmbH", f"Kunde{tag} AG", f"Filiale{tag}",
                                                     f"Nutzer{tag}", f"reseller{tag}@t.example", f"admin{tag}@t.example",
                                                     f"Wartung{tag}", f"Störung{tag}", f"Anrufer{tag}"])
    return tenant("A"), tenant("B")


def _maintenance_of(customer, tag: str):
    from console import clock
    from console.maintenance import services as maintenance
    from console.maintenance.models import WindowKind
    start = maintenance.earliest_start(WindowKind.REGULAR, timedelta(hours=1), clock.now() + timedelta(minutes=5))
    return maintenance.schedule(actor_label="test", kind=WindowKind.REGULAR, reason=None, starts_at=start,
                                ends_at=start + timedelta(hours=1), pbxs=[customer.pbx], title_de=f"Wartung{tag}",
                                title_en=f"Wartung{tag}")


def _media_of(customer, tag: str):
    from console.media import services as media
    from console.media.models import MediaKind
    from tests.media.audiogen import sine, wav_bytes
    item = media.create_item(customer.pbx, kind=MediaKind.HOLD_MUSIC, name=f"Musik{tag}")
    return media.add_version("test", item, wav_bytes(sine(440, 0.5, 8000), 8000), f"musik{tag}.wav")


def _incident_of(customer, tag: str):
    from console.incidents import services as incidents
    from tests.incidents.factories import make_incident, make_outage
    incident = make_incident(customer, title=f"Störung{tag}")
    attachment = incidents.add_attachment(incident, f"shot{tag}.png", "image/png", b"\x89PNG")
    outage = make_outage([customer.pbx], description=f"Störung{tag}")
    token, _ = incidents.issue_token(customer.reseller, f"Störung{tag}")
    return SimpleNamespace(id=incident.id, attachment_id=attachment.id, outage_id=outage.id, token_id=token.id)


def _ids(t) -> dict[str, int]:
    """The object each URL parameter names, taken from tenant t."""
    return {"reseller_id": t.reseller.id, "customer_id": t.customer.id, "site_id": t.site.id,
            "trunk_id": t.trunk.id, "user_id": t.user.id, "login_id": t.logins[Role.CUSTOMER_ADMIN].id,
            "window_id": t.window.id, "item_id": t.media.item_id, "version_id": t.media.id,
            "incident_id": t.incident.id, "attachment_id": t.incident.attachment_id,
            "outage_id": t.incident.outage_id, "token_id": t.incident.token_id, **t.directory, **t.mail,
            **t.billing, **t.voicemail, **t.fax}


def _token_guarded(app, rule) -> bool:
    """A route console.auth.tokens guards (bearer token or URL secret): walked with foreign tokens below."""
    return getattr(app.view_functions[rule.endpoint], "token_model", None) is not None


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC or _token_guarded(app, rule):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, ids: dict[str, int]) -> str:
    missing = set(rule.arguments) - set(ids)
    assert not missing, f"{rule.rule}: add the parameter(s) {missing} to _ids() so tenancy is tested"
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


@pytest.mark.parametrize("role", [Role.RESELLER, Role.CUSTOMER_ADMIN, Role.END_USER])
def test_no_route_reaches_a_foreign_tenant(app, tenants, signed_in, role):
    a, b = tenants
    browser = signed_in(a.logins[role])
    before = _audit_count()
    checked = 0
    for rule, method in _routes(app):
        if rule.arguments:
            url = _url(rule, _ids(b))
            response = browser.request(method, url, data={"csrf_token": browser.csrf, "name": "Übernommen",
                                                          "language": "en"})
            assert response.status_code in (403, 404), f"{role.value} {method} {url} → {response.status_code}"
            checked += 1
        elif method == "GET":
            response = browser.get(rule.rule)
            body = response.get_data(as_text=True)
            for name in b.names:
                assert name not in body, f"{role.value} GET {rule.rule} shows {name}"
    assert checked > 15
    assert _audit_count() == before, "a request changed something"


@pytest.mark.parametrize("role, path, expected", [
    (Role.RESELLER, "/customers/{customer_id}", 200),
    (Role.RESELLER, "/sites/{site_id}/edit", 200),
    (Role.CUSTOMER_ADMIN, "/customers/{customer_id}", 200),
    (Role.CUSTOMER_ADMIN, "/users/{user_id}/edit", 200),
    (Role.END_USER, "/users/{user_id}", 200),
])
def test_own_objects_are_reachable(tenants, signed_in, role, path, expected):
    """The other half: the same routes do open the caller's own objects (so the test above can fail)."""
    a, _ = tenants
    browser = signed_in(a.logins[role])
    assert browser.get(path.format(**_ids(a))).status_code == expected


def test_lists_show_own_objects(tenants, signed_in):
    a, _ = tenants
    body = signed_in(a.logins[Role.RESELLER]).get("/customers/").get_data(as_text=True)
    assert "KundeA AG" in body


def test_foreign_ids_in_form_fields_are_refused(tenants, signed_in):
    a, b = tenants
    reseller = signed_in(a.logins[Role.RESELLER])
    response = reseller.post("/customers/new", {
        "reseller_id": b.reseller.id, "name": "Untergeschoben", "pbx_name": "x.example", "licence": "base",
        "site_name": "Z", "street": "S 1", "postcode": "10115", "city": "Berlin"})
    assert response.status_code in (200, 404)
    assert "Untergeschoben" not in [c.name for c in b.reseller.customers]
    response = reseller.post("/logins/new", {
        "email": "evil@t.example", "name": "Evil", "role": "customer_admin", "customer_id": b.customer.id,
        "reseller_id": 0, "phone_user_id": 0, "language": "de", "active": "y", "password": "long enough pw"})
    assert response.status_code == 404
    admin = signed_in(a.logins[Role.CUSTOMER_ADMIN])
    response = admin.post(f"/customers/{a.customer.id}/users/new", {
        "first_name": "X", "last_name": "Y", "site_id": b.site.id, "extension": "5", "language": "de",
        "package": "klare"})
    assert response.status_code == 200  # the form shows the refused choice
    assert b.site.id not in [u.site_id for u in a.customer.pbx.users]


def test_reseller_cannot_grant_staff_roles(tenants, signed_in):
    a, _ = tenants
    reseller = signed_in(a.logins[Role.RESELLER])
    response = reseller.post("/logins/new", {
        "email": "boss@t.example", "name": "Boss", "role": "staff_admin", "reseller_id": 0, "customer_id": 0,
        "phone_user_id": 0, "language": "de", "active": "y", "password": "long enough pw"})
    assert response.status_code == 200
    assert "boss@t.example" not in reseller.get("/logins/").get_data(as_text=True)


def test_anonymous_requests_go_to_sign_in(app, tenants):
    a, _ = tenants
    browser = Browser(app)
    token = browser._fetch_token()
    for rule, method in _routes(app):
        url = _url(rule, _ids(a))
        response = browser.request(method, url, data={"csrf_token": token})
        assert response.status_code == 302, f"anonymous {method} {url} → {response.status_code}"
        assert response.headers["Location"].startswith("/login"), url


# --- every token-authenticated route, with another tenant's valid token ------------------------------------------

def _token_routes(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if _token_guarded(app, rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def _api_tokens(a, b) -> tuple[str, str]:
    from console.incidents import services as incidents
    return incidents.issue_token(a.reseller, "Fremd")[1], incidents.issue_token(b.reseller, "Eigen")[1]


def _file_report(browser, a, b):
    from tests.incidents.factories import qualified_data
    a_token, _ = _api_tokens(a, b)
    foreign = browser.request("POST", "/api/v1/incidents", json=qualified_data(b.customer), headers=_bearer(a_token))
    assert foreign.status_code == 404, foreign.get_json()
    own = browser.request("POST", "/api/v1/incidents", json=qualified_data(a.customer), headers=_bearer(a_token))
    assert own.status_code == 201, own.get_json()


def _read_incident(browser, a, b):
    from console.incidents.models import Incident
    a_token, b_token = _api_tokens(a, b)
    number = db.session.get(Incident, b.incident.id).number
    assert browser.get(f"/api/v1/incidents/{number}", headers=_bearer(a_token)).status_code == 404
    assert browser.get(f"/api/v1/incidents/{number}", headers=_bearer(b_token)).status_code == 200


def _lookup(browser, a, b):
    from console.auth import tokens
    from console.directory import books
    from console.directory.books import Book
    from console.directory.connection import get_directory
    from console.directory.models import DirectoryToken
    from console.directory.tree import Contact
    books.save_entry(get_directory(), Book(b.customer.pbx), Contact(surname="NurB", phone="030 7654321"))
    a_token = tokens.issue(DirectoryToken, "dir_", pbx=a.customer.pbx, name="Fremd")[1]
    b_token = tokens.issue(DirectoryToken, "dir_", pbx=b.customer.pbx, name="Eigen")[1]
    url = f"/api/v1/directory/lookup?number=030 7654321&extension={b.user.extension}"
    foreign = browser.get(url, headers=_bearer(a_token))
    assert foreign.status_code == 404 and foreign.get_json()["name"] is None
    assert browser.get(url, headers=_bearer(b_token)).get_json()["name"] == "NurB"


def _feed(suffix: str):
    def call(browser, a, b):
        from console.maintenance.models import FeedToken
        secrets = {}
        for t in (a, b):
            row = FeedToken(reseller_id=t.reseller.id)
            db.session.add(row)
            db.session.flush()
            secrets[t.reseller.id] = row.url_secret
        foreign = browser.get(f"/maintenance/feed/{secrets[a.reseller.id]}.{suffix}")
        assert foreign.status_code == 200
        body = foreign.get_data(as_text=True)
        assert "WartungA" in body and "WartungB" not in body
        forged = secrets[b.reseller.id][:16] + secrets[a.reseller.id][16:]   # B's selector, A's MAC
        assert browser.get(f"/maintenance/feed/{forged}.{suffix}").status_code == 404
    return call


def _media(browser, a, b):
    from console.media import services as media
    from console.media.models import MediaKind, MediaTarget, PbxMediaToken
    from tests.media.audiogen import sine, wav_bytes
    item = media.create_item(b.customer.pbx, kind=MediaKind.ANNOUNCEMENT, target=MediaTarget.OPERATOR, name="NurB")
    media.convert_version(media.add_version("test", item, wav_bytes(sine(440, 0.5, 8000), 8000), "nurb.wav"))
    a_secret = db.session.get(PbxMediaToken, a.customer.pbx.id).url_secret
    b_secret = db.session.get(PbxMediaToken, b.customer.pbx.id).url_secret
    assert browser.get(f"/pbx-media/{a_secret}/{item.slug}.wav").status_code == 404
    assert browser.get(f"/pbx-media/{b_secret}/{item.slug}.wav").status_code == 200


def _billing(browser, a, b):
    """The accounting system's route takes only a billing token: a reseller's API token is no key to it."""
    from console.auth import tokens
    from console.billing.models import BillingToken
    a_token, _ = _api_tokens(a, b)
    refused = browser.get("/api/billing/statements/2026-11", headers=_bearer(a_token))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    own = tokens.issue(BillingToken, "stb_", name="Buchhaltung", issued_by="test")[1]
    assert browser.get("/api/billing/statements/2026-11", headers=_bearer(own)).status_code == 404  # no final run


def _voicemail(browser, a, b):
    """A's voicemail token files nothing into B's mailboxes: the mailbox is looked up on A's PBX only."""
    import io
    from console.accounts.models import Package
    from console.accounts import services as accounts
    from console.voicemail import inbox
    from console.voicemail.models import Voicemail
    from tests.voicemail.conftest import g711a, tone
    only_b = accounts.save_phone_user(None, pbx=b.customer.pbx, site=b.customer.pbx.sites[0], first_name="Nur",
                                      last_name="B", extension="77", package=Package.KLINGENDE, email="b@t.example")
    a_token = inbox.issue_token(a.customer.pbx, "Fremd")[1]
    b_token = inbox.issue_token(b.customer.pbx, "Eigen")[1]

    def post(token):
        return browser.request("POST", "/api/v1/voicemail", content_type="multipart/form-data",
                               headers=_bearer(token), data={"mailbox": "77", "codec": "g711a", "recording": (
                                   io.BytesIO(g711a(tone(440, 1.0))), "m.g711a")})
    foreign = post(a_token)
    assert foreign.status_code == 409 and foreign.get_json()["error"] == "unknown_mailbox"
    assert db.session.scalar(select(func.count(Voicemail.id)).where(Voicemail.phone_user_id == only_b.id)) == 0
    assert post(b_token).status_code == 201
def _gateway(method: str, path: str, expected: int, **kw):
    """The fax gateway's routes take only a gateway token: a reseller's API token is no key to them."""
    def call(browser, a, b):
        from console.auth import tokens
        from console.fax.models import FaxGatewayToken
        a_token, _ = _api_tokens(a, b)
        url = path.format(fax_id=b.fax["fax_id"])
        refused = browser.request(method, url, headers=_bearer(a_token), **kw)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        own = tokens.issue(FaxGatewayToken, "fgw_", name="Gateway")[1]
        assert browser.request(method, url, headers=_bearer(own), **kw).status_code == expected
    return call


FOREIGN_TOKEN_CASES = {
    ("/api/v1/incidents", "POST"): _file_report,
    ("/api/v1/incidents/<number>", "GET"): _read_incident,
    ("/api/v1/directory/lookup", "GET"): _lookup,
    ("/maintenance/feed/<token>.ics", "GET"): _feed("ics"),
    ("/maintenance/feed/<token>.atom", "GET"): _feed("atom"),
    ("/pbx-media/<token>/<slug>.<any(g711a, g711u, wav):coder>", "GET"): _media,
    ("/api/billing/statements/<label>", "GET"): _billing,
    ("/api/v1/voicemail", "POST"): _voicemail,
    ("/api/v1/fax/received", "POST"): _gateway("POST", "/api/v1/fax/received", 422, data={"called": "1"}),
    ("/api/v1/fax/jobs/claim", "POST"): _gateway("POST", "/api/v1/fax/jobs/claim", 204),
    ("/api/v1/fax/jobs/<fax_id>/document", "GET"): _gateway("GET", "/api/v1/fax/jobs/{fax_id}/document", 404),
    ("/api/v1/fax/jobs/<fax_id>/result", "POST"): _gateway("POST", "/api/v1/fax/jobs/{fax_id}/result", 404,
                                                           json={"attempt": 1, "ok": True}),
}


def test_every_token_route_is_walked_with_a_foreign_token(app):
    """A new route behind a token guard fails here until it has a case in FOREIGN_TOKEN_CASES."""
    routes = _token_routes(app)
    assert routes - FOREIGN_TOKEN_CASES.keys() == set(), "add a foreign-token case for these routes"
    assert FOREIGN_TOKEN_CASES.keys() - routes == set(), "these routes are no longer token-guarded"


@pytest.mark.parametrize("route", sorted(FOREIGN_TOKEN_CASES), ids=lambda r: f"{r[1]} {r[0]}")
def test_a_foreign_token_reaches_nothing_of_another_tenant(app, tenants, route):
    a, b = tenants
    FOREIGN_TOKEN_CASES[route](Browser(app), a, b)

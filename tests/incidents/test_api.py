"""The fault-report API with a reseller's bearer token: accepted, refused with every missing field, tenancy, auth."""
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from console.extensions import db
from console.incidents import services
from console.incidents.models import Channel, Incident
from console.mail.models import OutboxMessage
from tests.incidents.factories import api_token, qualified_data

REQUIRED = {"title", "customer_id", "site_ids", "category", "impact", "affected_numbers", "started_at", "pattern",
            "reproduction", "example_calls", "contact_name", "contact_phone"}


@pytest.fixture
def api(app, make_customer):
    customer = make_customer(name="API-Kunde GmbH")
    plain = api_token(customer, "Ticketsystem")
    client = app.test_client()

    def call(method, path, json=None, token=plain):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with app.app_context():
            response = client.open(path, method=method, json=json, headers=headers)
        db.session.expire_all()
        return response
    call.customer = customer
    return call


def test_a_qualified_report_is_accepted_and_acknowledged(api):
    response = api("POST", "/api/v1/incidents", qualified_data(api.customer))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    incident = db.session.scalar(select(Incident).where(Incident.number == body["number"]))
    assert incident.qualified and incident.channel is Channel.API and incident.customer_id == api.customer.id
    assert body["affected_numbers"] == incident.affected_numbers and body["contact_phone"] == "+49309876543"
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{body['number']}")
    ack = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "incidents/acknowledgement"))
    assert ack.recipient == api.customer.reseller.notice_email and body["number"] in ack.subject
    again = api("GET", f"/api/v1/incidents/{body['number']}")
    assert again.status_code == 200 and again.get_json()["number"] == body["number"]


def test_an_unqualified_report_gets_422_naming_every_missing_field(api):
    response = api("POST", "/api/v1/incidents", {"title": "Geht nicht"})
    assert response.status_code == 422
    missing = {m["field"] for m in response.get_json()["missing"]}
    assert missing == REQUIRED - {"title"}
    assert all(m["message"] for m in response.get_json()["missing"])
    assert db.session.scalar(select(Incident)) is None


def test_voice_quality_needs_the_measurements_and_bad_values_are_named(api):
    data = qualified_data(api.customer, category="voice_quality", contact_phone="12")
    response = api("POST", "/api/v1/incidents", data)
    assert response.status_code == 422
    body = response.get_json()
    assert {m["field"] for m in body["missing"]} == {"delay_ms", "jitter_ms", "loss_percent"}
    assert [i["field"] for i in body["invalid"]] == ["contact_phone"]


def test_measurements_beyond_6_1_are_flagged(api):
    data = qualified_data(api.customer, category="voice_quality", delay_ms=180, jitter_ms=12, loss_percent=1)
    body = api("POST", "/api/v1/incidents", data).get_json()
    assert len(body["network_findings"]) == 2
    assert "180" in body["network_findings"][0] and "150" in body["network_findings"][0]
    ack = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "incidents/acknowledgement"))
    assert "§6.1" in ack.parsed.get_body(("plain",)).get_content()


def test_another_resellers_customer_is_a_404(api, make_customer):
    stranger = make_customer(name="Fremdkunde AG")
    response = api("POST", "/api/v1/incidents", qualified_data(stranger))
    assert response.status_code == 404
    assert "Fremdkunde" not in response.get_data(as_text=True)
    assert db.session.scalar(select(Incident)) is None


def test_another_resellers_incident_is_a_404(api, make_customer):
    from tests.incidents.factories import make_incident
    foreign = make_incident(make_customer())
    assert api("GET", f"/api/v1/incidents/{foreign.number}").status_code == 404


@pytest.mark.parametrize("token", [None, "stk_wrong"])
def test_no_or_a_wrong_token_is_a_401(api, token):
    response = api("POST", "/api/v1/incidents", qualified_data(api.customer), token=token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api("GET", "/api/v1/incidents/2026-000001", token=token).status_code == 401


def test_a_revoked_token_is_a_401(api, make_customer):
    customer = make_customer()
    token, plain = services.issue_token(customer.reseller, "alt")
    services.revoke_token(token)
    assert api("POST", "/api/v1/incidents", qualified_data(customer), token=plain).status_code == 401


def test_tokens_are_stored_hashed(api):
    from console.incidents.models import ApiToken
    token, plain = services.issue_token(api.customer.reseller, "zweites")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert plain not in (stored.token_hash, stored.prefix + "x") and len(stored.token_hash) == 64


def test_the_openapi_description_validates(api):
    response = api("GET", "/api/v1/openapi.json", token=None)
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert set(spec["components"]["schemas"]["Report"]["required"]) == REQUIRED
    assert {"201", "401", "404", "422"} <= set(spec["paths"]["/incidents"]["post"]["responses"])

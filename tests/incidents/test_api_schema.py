"""The fault-report API takes exactly what its served OpenAPI description allows, and says so field by field.

Each case here was accepted (stored, or answered with a 500) before the body was checked against the description.
"""
import json

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.incidents.models import Incident
from console.mail.models import OutboxMessage
from tests.incidents.factories import api_token, qualified_data


@pytest.fixture
def post(app, make_customer):
    customer = make_customer(name="Schema-Kunde GmbH")
    plain = api_token(customer, "Ticketsystem")
    client = app.test_client()

    def call(body=None, *, raw: bytes | None = None, content_type="application/json", language=None,
             method="POST", path="/api/v1/incidents"):
        headers = {"Authorization": f"Bearer {plain}"}
        if language:
            headers["Accept-Language"] = language
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        with app.app_context():
            response = client.open(path, method=method, data=data, content_type=content_type, headers=headers)
        db.session.expire_all()
        return response
    call.customer = customer
    return call


def _stored() -> int:
    return db.session.scalar(select(func.count(Incident.id)))


def _invalid(response) -> dict[str, str]:
    return {i["field"]: i["message"] for i in response.get_json()["invalid"]}


@pytest.mark.parametrize("field, value", [
    ("title", "x" * 5000),
    ("customer_id", "1"), ("customer_id", 1.5), ("customer_id", True), ("customer_id", 2**70),
    ("customer_id", 2**31),  # an INTEGER key on PostgreSQL: "integer out of range"
    ("site_ids", "1"), ("site_ids", [2**64]),
    ("contact_name", ["a"]),
    ("language", "fr"),
    ("reporter_email", "not-an-email"), ("reporter_email", "a@b.de\r\nBcc: all@example.com"),
    ("started_at", "0001-01-01T00:00"), ("started_at", "9999-12-31T23:59-05:00"), ("started_at", "morgen"),
    ("example_calls", [{"at": "9999-12-31T23:59-05:00", "from": "+49301234567", "to": "+49301234568"}]),
    ("affected_numbers", "+49301234567"),
    ("title", "Ausfall \ud800"), ("title", "Null\x00byte"),
])
def test_what_the_description_forbids_is_refused_and_named(post, field, value):
    response = post(qualified_data(post.customer, **{field: value}))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in _invalid(response), response.get_json()
    assert _stored() == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # no acknowledgement went anywhere


@pytest.mark.parametrize("raw, status", [
    (b'{"title": "x", "delay_ms": Infinity}', 400),
    (b'{"title": "x", "delay_ms": NaN}', 400),
    (b"[" * 100_000 + b"]" * 100_000, 400),
    (b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", 400),
    (b'{"title": "\xff"}', 400),
    (b'["a list"]', 400),
    (b"{", 400),
])
def test_bodies_that_are_no_json_object_get_a_400(post, raw, status):
    response = post(raw=raw)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]
    assert _stored() == 0


def test_a_body_that_is_not_sent_as_json_is_refused_with_415(post):
    body = json.dumps(qualified_data(post.customer)).encode()
    response = post(raw=body, content_type="text/plain")
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    assert _stored() == 0


def test_a_valid_report_with_an_address_and_language_is_still_accepted(post):
    response = post(qualified_data(post.customer, reporter_email="technik@partner.example", language="en",
                                   started_at="2026-11-27 09:30"))
    assert response.status_code == 201, response.get_json()
    ack = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "incidents/acknowledgement"))
    assert ack.recipient == "technik@partner.example"


def test_messages_follow_accept_language_german_by_default(post):
    german = post(qualified_data(post.customer, title="x" * 300))
    english = post(qualified_data(post.customer, title="x" * 300), language="en")
    assert "länger als 200 Zeichen" in _invalid(german)["title"]
    assert "longer than 200 characters" in _invalid(english)["title"]
    assert "nicht qualifiziert" in german.get_json()["error"] and "not qualified" in english.get_json()["error"]


def test_a_method_the_api_does_not_offer_is_405_with_allow(post):
    response = post(method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    assert response.get_json()["error"]


def test_the_description_documents_every_error_answer(post):
    spec = post(method="GET", path="/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/incidents"]["post"]["responses"]
    assert {"400", "401", "404", "413", "415", "422", "default"} <= set(responses)
    report = spec["components"]["schemas"]["Report"]["properties"]
    assert report["customer_id"]["maximum"] == 2**31 - 1 and report["reporter_email"]["format"] == "email"

"""The API's JSON: random bodies (JSON values, a qualified report with one field replaced by anything, raw bytes
that are not JSON: bad UTF-8, NaN, deep nesting, huge numbers) get a 4xx with the documented error body — or,
when the report is good, a 201 with the documented Incident — never a 5xx, never a body that is not JSON."""
from __future__ import annotations

import json

import pytest
from flask import request
from hypothesis import example, given, strategies as st

from console.extensions import db
from console.incidents.openapi import spec
from console.web.jsonbody import BodyRefused, read_object, validator
from tests.fuzz.conftest import bounded
from tests.incidents.factories import api_token, qualified_data

URL = "/api/v1/incidents"
NUMBERS = st.one_of(st.integers(), st.integers(min_value=10**30, max_value=10**60), st.floats(allow_nan=False, allow_infinity=False))  # inf: in RAW
JSON = st.recursive(st.none() | st.booleans() | NUMBERS | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20)
RAW = st.one_of(st.binary(max_size=100), st.sampled_from([
    b"NaN", b'{"title": NaN}', b'{"title": Infinity}', b'{"delay_ms": 1e999}', b'{"title": -1e400}',
    b"[" * 100_000, b'{"a":' * 50 + b"1" + b"}" * 50, b'{"customer_id": ' + b"9" * 5000 + b"}",
    b'{"title": "\xff\xfe"}', b'\xef\xbb\xbf{"title": "x"}', b'{"title": "\\ud800"}', b'{"title": "\\u0000"}',
    b"{}", b"", b"null", b'{"a": 1, "a": 2}']))
FIELDS = ["title", "customer_id", "site_ids", "category", "impact", "affected_numbers", "started_at", "pattern",
          "reproduction", "example_calls", "contact_name", "contact_phone", "reporter_email", "language",
          "delay_ms", "jitter_ms", "loss_percent", "unknown"]


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in a response: not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def api(app, make_customer):
    customer = make_customer(name="Fuzz-Kunde GmbH")
    plain = api_token(customer, "Fuzz")
    client = app.test_client()
    schemas = {name: validator(spec(""), name) for name in ("Error", "Unqualified", "Incident")}

    def post(data: bytes, content_type: str = "application/json"):
        response = client.post(URL, data=data, headers={"Authorization": f"Bearer {plain}",
                                                         "Content-Type": content_type})
        db.session.expire_all()
        assert response.status_code < 500, (data[:200], response.status_code, response.get_data()[:300])
        body = _strict(response.get_data(as_text=True))
        schema = {201: "Incident", 422: "Unqualified"}.get(response.status_code, "Error")
        problems = [e.message for e in schemas[schema].iter_errors(body)]
        assert not problems, (response.status_code, problems, body)
        return response
    post.customer = customer
    return post


@given(RAW, st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                             "application/merge-patch+json", ""]))
@example(b'{"delay_ms": 1e999}', "application/json")
@example(b"[" * 100_000, "application/json")
@bounded(60)
def test_bytes_that_are_no_report_get_a_4xx_with_the_error_body(api, raw, content_type):
    response = api(raw, content_type)
    assert 400 <= response.status_code < 500


@given(JSON)
@bounded(60)
def test_any_json_value_gets_a_4xx_with_the_documented_body(api, value):
    response = api(json.dumps(value).encode())
    assert response.status_code in (400, 404, 422)


@given(st.sampled_from(FIELDS), JSON)
@example("delay_ms", 10**400)
@example("customer_id", 10**30)
@example("site_ids", [10**30])
@example("title", "\x00")
@bounded(100)
def test_a_report_with_any_one_field_replaced_is_filed_or_refused_with_the_documented_body(api, field, value):
    data = qualified_data(api.customer, category="voice_quality", delay_ms=250, jitter_ms=40, loss_percent=2)
    data[field] = value
    response = api(json.dumps(data).encode())
    assert response.status_code in (201, 404, 422)


@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/plain"]))
@bounded(100)
def test_read_object_gives_an_object_or_a_refusal(app, raw, content_type):
    with app.test_request_context("/", method="POST", data=raw, content_type=content_type):
        try:
            assert isinstance(read_object(request), dict)
        except BodyRefused as exc:
            assert exc.status in (400, 415) and exc.message


@given(st.sampled_from(FIELDS), st.sampled_from(["1e999", "-1e999", "1e-999", "9" * 5000, "-0", "0.1e1",
                                                  "NaN", "[1e999]", '{"at": 1e999}', "2e308"]))
@example("delay_ms", "1e999")   # Python reads it as inf: never a value the report keeps
@example("unknown", "1e999")    # was accepted (201) while "Infinity" spelt out is refused
@bounded(40)
def test_a_report_with_a_number_json_cannot_hold_is_refused(api, field, token):
    data = qualified_data(api.customer, category="voice_quality", delay_ms=250, jitter_ms=40, loss_percent=2)
    data[field] = "\x00marker"
    raw = json.dumps(data).replace('"\\u0000marker"', token).encode()
    response = api(raw)
    if token in ("-0", "0.1e1", "1e-999"):   # ordinary numbers: judged as the field's value
        assert response.status_code in (201, 404, 422)
    else:
        assert response.status_code == 400

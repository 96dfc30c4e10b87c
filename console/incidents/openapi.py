"""The OpenAPI 3.1 description of the fault-report API, served at /api/v1/openapi.json."""
from __future__ import annotations

from console.bounds import FIRST_DAY, LAST_DAY, MAX_ID, MAX_MEASURE
from console.fax import openapi as fax_openapi
from console.incidents.models import Category, Impact, Pattern, Priority, State

_STRING = {"type": "string"}
_NUMBER = {"type": "string", "maxLength": 40, "description": "A phone number with area code."}
_NUMBERS = {"type": "array", "items": _NUMBER, "minItems": 1, "maxItems": 100,
            "description": "Phone numbers with area code; stored as E.164 (+4930…)."}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# ISO 8601 with an offset (RFC 3339), or a Berlin wall-clock time without one, as people write it.
_INSTANT = {"type": "string", "maxLength": 40, "anyOf": [
    {"format": "date-time"},
    {"pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$"}],
    "description": f"ISO 8601; without an offset it is Berlin time. Between {FIRST_DAY.isoformat()} and "
                   f"{LAST_DAY.isoformat()}."}
_MEASURE = {"type": "number", "minimum": 0, "maximum": MAX_MEASURE}

REPORT = {
    "type": "object",
    "description": "A qualified fault report (§7.9). Every field listed in `required` must be present; for the "
                   "category voice_quality also delay_ms, jitter_ms and loss_percent.",
    "required": ["title", "customer_id", "site_ids", "category", "impact", "affected_numbers", "started_at",
                 "pattern", "reproduction", "example_calls", "contact_name", "contact_phone"],
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "customer_id": {**_ID, "description": "One of your customers; its PBX is implied."},
        "site_ids": {"type": "array", "items": _ID, "minItems": 1, "maxItems": 100},
        "category": {"type": "string", "enum": [c.value for c in Category]},
        "impact": {"type": "string", "enum": [i.value for i in Impact]},
        "affected_numbers": _NUMBERS,
        "started_at": _INSTANT,
        "pattern": {"type": "string", "enum": [p.value for p in Pattern]},
        "reproduction": {"type": "string", "maxLength": 20000},
        "example_calls": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
            "type": "object", "required": ["at", "from", "to"],
            "properties": {"at": _INSTANT, "from": _NUMBER, "to": _NUMBER}}},
        "contact_name": {"type": "string", "maxLength": 200},
        "contact_phone": {"type": "string", "maxLength": 40},
        "delay_ms": {**_MEASURE, "description": "§6.1 allows up to 150 ms."},
        "jitter_ms": {**_MEASURE, "description": "§6.1 allows up to 20 ms."},
        "loss_percent": {"type": "number", "minimum": 0, "maximum": 100,
                         "description": "§6.1 allows less than 1 %."},
        "description": {"type": "string", "maxLength": 20000},
        "reporter_email": {"type": "string", "format": "email", "maxLength": 254,
                           "description": "Where the acknowledgement goes; default: the reseller's notice address."},
        "language": {"type": "string", "enum": ["de", "en"]},
    },
}

INCIDENT = {
    "type": "object",
    "required": ["number", "state", "priority", "qualified", "opened_at", "url"],
    "properties": {
        "number": _STRING,
        "state": {"type": "string", "enum": [s.value for s in State]},
        "priority": {"type": "string", "enum": [p.value for p in Priority]},
        "qualified": {"type": "boolean"},
        "missing_fields": {"type": "array", "items": _STRING},
        "title": _STRING,
        "customer_id": {"type": ["integer", "null"]},
        "site_ids": {"type": "array", "items": {"type": "integer"}},
        "category": {"type": ["string", "null"]},
        "impact": {"type": ["string", "null"]},
        "affected_numbers": {"type": "array", "items": _STRING},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "pattern": {"type": ["string", "null"]},
        "example_calls": {"type": "array", "items": {"type": "object"}},
        "contact_name": {"type": ["string", "null"]},
        "contact_phone": {"type": ["string", "null"]},
        "opened_at": {"type": "string", "format": "date-time"},
        "network_findings": {"type": "array", "items": _STRING,
                             "description": "Measurements beyond §6.1: a likely cause in the customer's network."},
        "sla": {"type": "array", "items": {"type": "object", "properties": {
            "clock": {"type": "string", "enum": ["response", "update", "resolution"]},
            "due": {"type": "string", "format": "date-time"},
            "met_at": {"type": ["string", "null"], "format": "date-time"}}}},
        "url": {"type": "string", "format": "uri"},
    },
}

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {**_STRING, "description": "What is wrong, in the language of Accept-Language (German by default)."},
    "status": {"type": "integer"}, "request_id": _STRING}}

UNQUALIFIED = {
    "type": "object", "required": ["error", "missing", "invalid"],
    "properties": {
        "error": _STRING,
        "missing": {"type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {
            "field": _STRING, "label": _STRING, "message": _STRING}}},
        "invalid": {"type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {
            "field": _STRING, "message": _STRING}}},
    },
}


_ACCEPT_LANGUAGE = {"name": "Accept-Language", "in": "header", "required": False,
                    "description": "de (the default) or en: the language of every message in the answer.",
                    "schema": {"type": "string"}}


def _json(schema_ref: str, description: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}
    if headers:
        response["headers"] = headers
    return response


def spec(server_url: str) -> dict:
    from console.voicemail import openapi as voicemail
    document = _incidents(server_url)
    document["paths"].update(voicemail.PATHS)
    document["components"]["schemas"].update(voicemail.SCHEMAS)
    return document


def _incidents(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "stimme fault reports", "version": "1.0.0",
                 "description": "File qualified fault reports (§7.9) around the clock (§7.8). "
                                "Tokens are issued per reseller by stimme staff."},
        "servers": [{"url": f"{server_url}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/incidents": {"post": {
                "operationId": "createIncident",
                "parameters": [_ACCEPT_LANGUAGE],
                "summary": "File a fault report",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Report"}}}},
                "responses": {
                    "201": _json("Incident", "Accepted; acknowledged by e-mail with its number.",
                                 headers={"Location": {"description": "Where to read the report back.",
                                                       "schema": {"type": "string"}}}),
                    "400": _json("Error", "The body is not JSON (UTF-8, no NaN or Infinity), not an object, or "
                                          "nested too deeply."),
                    "401": _json("Error", "No or no valid bearer token."),
                    "404": _json("Error", "The customer is not one of yours."),
                    "413": _json("Error", "The body is too large."),
                    "415": _json("Error", "The body is not sent as application/json."),
                    "422": _json("Unqualified", "Not qualified, or not what this description allows: every "
                                                "missing or invalid field is named."),
                    "default": _json("Error", "Any other error (e.g. 405 with Allow, 500 with a request id)."),
                }}},
            "/incidents/{number}": {"get": {
                "operationId": "getIncident",
                "summary": "Read one of your fault reports",
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": _STRING},
                               _ACCEPT_LANGUAGE],
                "responses": {
                    "200": _json("Incident", "The report with its state and SLA clocks."),
                    "400": _json("Error", "The number contains a character that cannot be stored."),
                    "401": _json("Error", "No or no valid bearer token."),
                    "404": _json("Error", "No such report among yours."),
                    "default": _json("Error", "Any other error (e.g. 405 with Allow, 500 with a request id)."),
                }}},
            **fax_openapi.PATHS,   # the fax gateway's hand-over (docs/fax-gateway.md), its own token
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Report": REPORT, "Incident": INCIDENT, "Error": ERROR, "Unqualified": UNQUALIFIED,
                        **fax_openapi.SCHEMAS},
        },
    }

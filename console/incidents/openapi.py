"""The OpenAPI 3.1 description of the fault-report API, served at /api/v1/openapi.json."""
from __future__ import annotations

from console.incidents.models import Category, Impact, Pattern, Priority, State

_STRING = {"type": "string"}
_NUMBERS = {"type": "array", "items": _STRING, "minItems": 1,
            "description": "Phone numbers with area code; stored as E.164 (+4930…)."}

REPORT = {
    "type": "object",
    "description": "A qualified fault report (§7.9). Every field listed in `required` must be present; for the "
                   "category voice_quality also delay_ms, jitter_ms and loss_percent.",
    "required": ["title", "customer_id", "site_ids", "category", "impact", "affected_numbers", "started_at",
                 "pattern", "reproduction", "example_calls", "contact_name", "contact_phone"],
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "customer_id": {"type": "integer", "description": "One of your customers; its PBX is implied."},
        "site_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        "category": {"type": "string", "enum": [c.value for c in Category]},
        "impact": {"type": "string", "enum": [i.value for i in Impact]},
        "affected_numbers": _NUMBERS,
        "started_at": {"type": "string", "format": "date-time",
                       "description": "ISO 8601; without an offset it is Berlin time."},
        "pattern": {"type": "string", "enum": [p.value for p in Pattern]},
        "reproduction": _STRING,
        "example_calls": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["at", "from", "to"],
            "properties": {"at": {"type": "string", "format": "date-time"}, "from": _STRING, "to": _STRING}}},
        "contact_name": _STRING,
        "contact_phone": _STRING,
        "delay_ms": {"type": "number", "minimum": 0, "description": "§6.1 allows up to 150 ms."},
        "jitter_ms": {"type": "number", "minimum": 0, "description": "§6.1 allows up to 20 ms."},
        "loss_percent": {"type": "number", "minimum": 0, "description": "§6.1 allows less than 1 %."},
        "description": _STRING,
        "reporter_email": {"type": "string", "format": "email",
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

ERROR = {"type": "object", "required": ["error"], "properties": {"error": _STRING}}

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


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def spec(server_url: str) -> dict:
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
                "summary": "File a fault report",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Report"}}}},
                "responses": {
                    "201": _json("Incident", "Accepted; acknowledged by e-mail with its number."),
                    "400": _json("Error", "The body is not a JSON object."),
                    "401": _json("Error", "No or no valid bearer token."),
                    "404": _json("Error", "The customer is not one of yours."),
                    "422": _json("Unqualified", "Not qualified: every missing or invalid field is named."),
                }}},
            "/incidents/{number}": {"get": {
                "operationId": "getIncident",
                "summary": "Read one of your fault reports",
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": _STRING}],
                "responses": {
                    "200": _json("Incident", "The report with its state and SLA clocks."),
                    "401": _json("Error", "No or no valid bearer token."),
                    "404": _json("Error", "No such report among yours."),
                }}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Report": REPORT, "Incident": INCIDENT, "Error": ERROR, "Unqualified": UNQUALIFIED},
        },
    }

"""The fax gateway's operations in the served OpenAPI description (/api/v1/openapi.json, console.incidents.openapi):
the protocol of docs/fax-gateway.md, behind the gateway's own bearer token (a reseller's token gets 401)."""
from __future__ import annotations

from console.bounds import MAX_ID

_ERR = {"$ref": "#/components/schemas/Error"}


def _answer(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema or _ERR}}}


_ID = {"name": "fax_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": MAX_ID}}
_COMMON = {
    "401": _answer("No or no valid fax gateway token."),
    "default": _answer("Any other error (e.g. 405 with Allow, 500 with a request id)."),
}

JOB = {"type": "object", "required": ["id", "attempt", "to", "caller_id", "pages", "document", "lease_until"],
       "properties": {"id": {"type": "integer"}, "attempt": {"type": "integer"},
                      "to": {"type": "string", "description": "E.164"},
                      "caller_id": {"type": "string", "description": "The sender's fax number, E.164."},
                      "pages": {"type": "integer"}, "document": {"type": "string"},
                      "lease_until": {"type": "string"}}}
ATTEMPT = {"type": "object", "required": ["attempt", "ok", "pages_sent", "duration_s"], "properties": {
    "attempt": {"type": "integer", "minimum": 1, "maximum": 1000},
    "ok": {"type": "boolean"},
    "reason": {"type": "string", "enum": ["busy", "no_answer", "no_fax_tone", "partial", "rejected"]},
    "pages_sent": {"type": "integer", "minimum": 0, "maximum": 10000},
    "duration_s": {"type": "integer", "minimum": 0, "maximum": 86400},
    "remote_station": {"type": "string", "maxLength": 40}}}
STATE = {"type": "object", "required": ["id", "state"], "properties": {
    "id": {"type": "integer"}, "state": {"type": "string"}, "attempts": {"type": "integer"}}}

PATHS = {
    "/fax/received": {"post": {
        "operationId": "faxReceived", "summary": "Hand in a received fax (TIFF class F or PDF)",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["called", "document"], "properties": {
                "called": {"type": "string", "maxLength": 40}, "calling": {"type": "string", "maxLength": 40},
                "station": {"type": "string", "maxLength": 40},
                "document": {"type": "string", "contentMediaType": "application/octet-stream"}}}}}},
        "responses": {"201": _answer("Stored (file and row); the gateway may delete its copy.", STATE),
                      "413": _answer("Larger than 50 MB."),
                      "422": _answer("Not a fax: the fields named are missing or wrong."), **_COMMON}}},
    "/fax/jobs/claim": {"post": {
        "operationId": "faxClaim", "summary": "Take the next fax to send, leased",
        "responses": {"200": _answer("The job, leased until lease_until.", JOB),
                      "204": {"description": "Nothing to send now."}, **_COMMON}}},
    "/fax/jobs/{fax_id}/document": {"get": {
        "operationId": "faxDocument", "summary": "The fax pages of a leased job (TIFF G3, 1728 px, 204×196 dpi)",
        "parameters": [_ID],
        "responses": {"200": {"description": "The pages.", "content": {"image/tiff": {}}},
                      "404": _answer("No such job is leased now."), **_COMMON}}},
    "/fax/jobs/{fax_id}/result": {"post": {
        "operationId": "faxResult", "summary": "What one attempt did", "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/FaxAttempt"}}}},
        "responses": {"200": _answer("Recorded; the job's state now.", STATE),
                      "400": _answer("The body is not a JSON object."),
                      "404": _answer("No such job is leased now."),
                      "409": _answer("Not the job's current attempt (its lease ran out)."),
                      "415": _answer("Not sent as application/json."),
                      "422": _answer("Not what the protocol allows: the fields named."), **_COMMON}}},
}
SCHEMAS = {"FaxAttempt": ATTEMPT}

"""POST /api/v1/voicemail in the console's OpenAPI description (served with the fault-report API's, at
/api/v1/openapi.json, by console.incidents.openapi)."""
from __future__ import annotations

_STRING = {"type": "string"}

STORED = {"type": "object", "required": ["id", "state"], "properties": {
    "id": {"type": "integer"}, "state": {"type": "string", "enum": ["stored", "refused"]}}}

REFUSED = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "unknown_mailbox, no_package, too_large, undecodable, "
                                              "duration_mismatch, invalid or unauthorized"},
    "message": _STRING, "id": {"type": "integer"}, "state": _STRING, "field": _STRING,
    "detail": {"type": ["string", "null"]}}}

UPLOAD = {"type": "object", "required": ["recording", "mailbox"], "properties": {
    "recording": {"type": "string", "contentMediaType": "application/octet-stream",
                  "description": "WAV (PCM, A-law or µ-law) or headerless G.711 (8 kHz mono)."},
    "mailbox": {"type": "string", "pattern": "^[0-9]{1,6}$", "description": "The user's extension."},
    "codec": {"type": "string", "enum": ["wav", "g711a", "g711u"]},
    "caller_number": {"type": "string", "maxLength": 40},
    "caller_name": {"type": "string", "maxLength": 200},
    "called_number": {"type": "string", "maxLength": 40},
    "received_at": {"type": "string", "format": "date-time"},
    "duration": {"type": "number", "minimum": 0},
}}


def _json(ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


PATHS = {"/voicemail": {"post": {
    "operationId": "deliverVoicemail",
    "summary": "Deliver a voicemail recording for a user of your PBX (a PBX's voicemail token)",
    "description": "Stored and its row committed before the answer; then mailed to the user as a WAV. "
                   "See docs/voicemail.md.",
    "requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"$ref": "#/components/schemas/VoicemailUpload"}}}},
    "responses": {
        "201": _json("VoicemailStored", "Stored; the mail follows."),
        # a field the database cannot hold (NUL, invalid UTF-8) is refused for every route alike, before this
        # API reads it, with the console's common error body (console/web/errors.py)
        "400": {"description": "A field is missing or malformed (`field` names it), or holds a character that "
                               "cannot be stored (the common error body).",
                "content": {"application/json": {"schema": {"anyOf": [
                    {"$ref": "#/components/schemas/VoicemailRefused"}, {"$ref": "#/components/schemas/Error"}]}}}},
        "401": _json("VoicemailRefused", "No or no valid voicemail token."),
        "403": _json("VoicemailRefused", "no_package: the user has neither Klingende nor Volle stimme."),
        "409": _json("VoicemailRefused", "unknown_mailbox: no user with this extension on your PBX."),
        "413": _json("VoicemailRefused", "too_large: over the size limit."),
        "422": _json("VoicemailRefused", "undecodable, or duration_mismatch."),
        "default": {"description": "Any other error (e.g. 405 with Allow, 500 with a request id)."},
    }}}}

SCHEMAS = {"VoicemailUpload": UPLOAD, "VoicemailStored": STORED, "VoicemailRefused": REFUSED}

"""JSON API for resellers' own systems: file a fault report, read one back. Bearer tokens only (no session, no
CSRF): staff issue a token per reseller, and the token decides which customers exist for the caller."""
from __future__ import annotations

from functools import lru_cache, wraps

from flask import abort, g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from console.audit.recorder import set_actor
from console.accounts.models import Customer
from console.auth import tokens
from console.auth.scope import TokenPrincipal, find, scoped
from console.bounds import parse_id
from console.extensions import db
from console.incidents import services
from console.incidents.blueprint import api as bp
from console.incidents.models import ApiToken, Channel, Incident
from console.incidents.openapi import spec
from console.incidents.qualification import FIELD_LABELS, blank, check_report, network_findings
from console.incidents.sla import status_of
from console.web.errors import headers_of, message_for
from console.web.jsonbody import BodyRefused, invalid_fields, read_object, validator


def _error(status: int, message: str, headers=(), **extra):
    response = jsonify(error=message, status=status, request_id=g.get("request_id", "-"), **extra)
    response.status_code = status
    response.headers.extend(headers)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stimme"'
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    description = exc.description if exc.code == 401 else None  # our own, translated; Werkzeug's are English
    return _error(exc.code or 500, description or message_for(exc), headers_of(exc))


@lru_cache(maxsize=1)
def _report_schema():
    """The Report schema exactly as /openapi.json serves it (the server URL does not touch the schemas)."""
    return validator(spec(""), "Report")


def _refused():
    abort(401, description=_("A valid bearer token is required (Authorization: Bearer …)."))


def reseller_token(view):
    """The reseller's API token guards the view, which gets its principal; the audit log names the token (the
    request hooks reset the actor at teardown)."""
    @tokens.bearer_required(ApiToken, _refused)
    @wraps(view)
    def named(principal: TokenPrincipal, *args, **kwargs):
        token = principal.token
        set_actor(None, f"API token {token.prefix}… ({token.reseller.name})", g.get("request_id"))
        return view(principal, *args, **kwargs)
    return named


def incident_json(incident: Incident) -> dict:
    sla = status_of(incident)
    return {
        "number": incident.number,
        "state": incident.state.value,
        "priority": incident.priority.value,
        "qualified": incident.qualified,
        "missing_fields": list(incident.missing_fields or []),
        "title": incident.title,
        "customer_id": incident.customer_id,
        "site_ids": [s.id for s in incident.sites],
        "category": incident.category.value if incident.category else None,
        "impact": incident.impact.value if incident.impact else None,
        "affected_numbers": list(incident.affected_numbers or []),
        "started_at": incident.started_at.isoformat() if incident.started_at else None,
        "pattern": incident.pattern.value if incident.pattern else None,
        "example_calls": list(incident.example_calls or []),
        "contact_name": incident.contact_name,
        "contact_phone": incident.contact_phone,
        "opened_at": incident.opened_at.isoformat(),
        "network_findings": [str(f) for f in network_findings(incident.delay_ms, incident.jitter_ms,
                                                               incident.loss_percent)],
        "sla": [{"clock": c.name, "due": c.due.isoformat(), "met_at": c.met_at.isoformat() if c.met_at else None}
                for c in sla.clocks],
        "url": url_for("incidents.detail", incident_id=incident.id, _external=True),
    }


@bp.post("/incidents")
@reseller_token
def create_incident(principal: TokenPrincipal):
    try:
        body = read_object(request)
    except BodyRefused as exc:
        return _error(exc.status, exc.message)
    # What the served description forbids is refused field by field; the rest is judged by §7.9 as the form is.
    refused = invalid_fields(_report_schema(), body)
    data = {k: v for k, v in body.items() if k not in refused}
    customer = None
    if not blank(data.get("customer_id")):
        customer = find(Customer, parse_id(data["customer_id"]), principal)
        if customer is None:
            return _error(404, _("There is no such customer among yours."))
    reseller = principal.reseller
    checked = check_report(data, customer)
    invalid = {**refused, **checked.invalid}
    missing = [name for name in checked.missing if name not in invalid]
    if missing or invalid:
        messages = checked.missing_messages()
        return _error(422, _("The report is not qualified (§7.9): fill in or correct the fields listed."),
                      missing=[{"field": name, "label": str(FIELD_LABELS[name]), "message": str(messages[name])}
                               for name in missing],
                      invalid=[{"field": name, "message": str(message)} for name, message in invalid.items()])
    incident = services.file_report(reseller, checked, channel=Channel.API,
                                    reporter_email=body.get("reporter_email") or None,
                                    language=body.get("language"))
    db.session.commit()
    response = jsonify(incident_json(incident))
    response.status_code = 201
    response.headers["Location"] = url_for(".get_incident", number=incident.number)
    return response


@bp.get("/incidents/<number>")
@reseller_token
def get_incident(principal: TokenPrincipal, number: str):
    incident = db.session.scalar(scoped(Incident, principal).where(Incident.number == number))
    if incident is None:
        return _error(404, _("There is no such incident among yours."))
    return jsonify(incident_json(incident))


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec(request.host_url.rstrip("/")))

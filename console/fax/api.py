"""The fax gateway's side of the hand-over (docs/fax-gateway.md), behind the gateway's bearer token:

- POST /api/v1/fax/received                 a received fax (multipart: called, calling, station, document)
- POST /api/v1/fax/jobs/claim               the next job to send, leased; 204 when there is none
- GET  /api/v1/fax/jobs/<id>/document       its fax pages (TIFF G3, 1728 px, 204×196 dpi)
- POST /api/v1/fax/jobs/<id>/result         what the attempt did (JSON)
"""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from console.audit.recorder import set_actor
from console.auth import tokens
from console.auth.scope import TokenPrincipal
from console.bounds import parse_id
from console.errors import RuleViolation
from console.extensions import db
from console.fax import incoming, outgoing, store
from console.fax.blueprint import api_bp
from console.fax.models import Direction, Fax, FaxGatewayToken, FaxState, Reason
from console.web.errors import headers_of, message_for
from console.web.jsonbody import BodyRefused, read_object

MAX_DOCUMENT = 50 * 1024 * 1024


def _error(status: int, message: str, **extra):
    response = jsonify(error=message, status=status, request_id=g.get("request_id", "-"), **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stimme fax gateway"'
    return response


@api_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    response = _error(exc.code or 500, message_for(exc))
    response.headers.extend(headers_of(exc))
    return response


def _refused():
    return _error(401, "A valid fax gateway token is required (Authorization: Bearer …).")


def gateway(view):
    """The gateway's token guards the view; the audit log names the token."""
    @tokens.bearer_required(FaxGatewayToken, _refused)
    @wraps(view)
    def named(principal: TokenPrincipal, *args, **kwargs):
        set_actor(None, f"fax gateway token {principal.token.prefix}… ({principal.token.name})", g.get("request_id"))
        return view(principal, *args, **kwargs)
    return named


@api_bp.post("/received")
@gateway
def received(principal: TokenPrincipal):
    document = request.files.get("document")
    if document is None:
        return _error(422, "The fax is missing: send it as the multipart field 'document' (TIFF or PDF).",
                      fields={"document": "required"})
    data = document.stream.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT:
        return _error(413, "The fax is larger than 50 MB.")
    try:
        fax = incoming.receive(called=request.form.get("called", ""), calling=request.form.get("calling", ""),
                               station=request.form.get("station"), data=data)
    except RuleViolation as exc:
        return _error(422, "The fax was not accepted.", fields={k: str(v) for k, v in exc.errors.items()})
    db.session.commit()   # stored before the gateway hears "accepted": it may delete its copy now
    return jsonify(id=fax.id, status="stored"), 201


@api_bp.post("/jobs/claim")
@gateway
def claim(principal: TokenPrincipal):
    taken = outgoing.claim()
    if taken is None:
        db.session.commit()
        return "", 204
    fax, attempt = taken
    db.session.commit()
    return jsonify(id=fax.id, attempt=attempt.number, to=fax.remote_number, caller_id=fax.local_number,
                   pages=fax.pages, lease_until=fax.lease_until.isoformat(),
                   document=url_for("fax_api.document", fax_id=fax.id, _external=True))


def _leased(fax_id: str) -> Fax | None:
    number = parse_id(fax_id)
    fax = db.session.get(Fax, number) if number else None
    if fax is None or fax.direction is not Direction.OUT or fax.state is not FaxState.SENDING:
        return None
    return fax


@api_bp.get("/jobs/<fax_id>/document")
@gateway
def document(principal: TokenPrincipal, fax_id: str):
    fax = _leased(fax_id)
    if fax is None or not fax.tiff_path:
        return _error(404, "No such job is leased now.")
    return send_file(store.path_of(fax.tiff_path), mimetype="image/tiff", download_name=f"fax-{fax.id}.tif")


@api_bp.post("/jobs/<fax_id>/result")
@gateway
def result(principal: TokenPrincipal, fax_id: str):
    fax = _leased(fax_id)
    if fax is None:
        return _error(404, "No such job is leased now.")
    try:
        body = read_object(request)
    except BodyRefused as exc:
        return _error(exc.status, exc.message)
    problems, values = _result_fields(body)
    if problems:
        return _error(422, "The result is not what the protocol allows.", fields=problems)
    try:
        outgoing.record_attempt(fax, **values)
    except outgoing.Stale:
        db.session.rollback()
        return _error(409, "This attempt is not the job's current one (its lease ran out).")
    db.session.commit()
    return jsonify(id=fax.id, state=fax.state.value, attempts=fax.attempts)


def _int(value, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _result_fields(body: dict) -> tuple[dict, dict]:
    problems, values = {}, {}
    values["attempt"] = _int(body.get("attempt"), 1, 1000)
    values["ok"] = body.get("ok")
    values["pages_sent"] = _int(body.get("pages_sent", 0), 0, 10000)
    values["duration_s"] = _int(body.get("duration_s", 0), 0, 86400)
    station = body.get("remote_station")
    values["remote_station"] = station if isinstance(station, str) and len(station) <= 40 else None
    reason = body.get("reason")
    values["reason"] = next((r for r in Reason if r.value == reason), None)
    for name in ("attempt", "pages_sent", "duration_s"):
        if values[name] is None:
            problems[name] = "a whole number in range"
    if not isinstance(values["ok"], bool):
        problems["ok"] = "true or false"
    if values["ok"] is False and values["reason"] is None:
        problems["reason"] = "one of " + ", ".join(r.value for r in Reason)
    if station is not None and values["remote_station"] is None:
        problems["remote_station"] = "a string of at most 40 characters"
    return problems, values

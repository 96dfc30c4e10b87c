"""GET /api/v1/directory/lookup?number=…[&extension=…]: the caller name, for a PBX's bearer token."""
from __future__ import annotations

import logging

from flask import jsonify, request

from console.accounts.models import PhoneUser
from console.auth import tokens
from console.auth.scope import TokenPrincipal, scoped
from console.directory.blueprint import api
from console.directory.books import lookup_name
from console.directory.connection import DirectoryUnavailable, get_directory
from console.directory.models import DirectoryToken
from console.extensions import db
from console.phone import InvalidNumber, to_e164

log = logging.getLogger("console.directory")


def _refused():
    response = jsonify(error="a valid bearer token is required")
    response.headers["WWW-Authenticate"] = 'Bearer realm="directory"'
    return response, 401


@api.get("/lookup")
@tokens.bearer_required(DirectoryToken, _refused)
def lookup(principal: TokenPrincipal):
    pbx = principal.pbx
    number = request.args.get("number", "")
    try:
        e164 = to_e164(number, pbx.country or "DE")
    except InvalidNumber as exc:
        return jsonify(error=str(exc.message)), 400
    user = None
    if request.args.get("extension"):
        user = db.session.scalar(scoped(PhoneUser, principal).where(PhoneUser.extension == request.args["extension"]))
    try:
        name = lookup_name(get_directory(), pbx, e164, user)
    except DirectoryUnavailable as exc:
        # Degrade, never block: the caller gets no name at once (the call rings anyway) and may ask again.
        log.warning("caller-name lookup for PBX %s without an answer: %s", pbx.name, exc)
        response = jsonify(number=e164, name=None, error="directory unavailable")
        response.headers["Retry-After"] = "30"
        return response, 503
    return jsonify(number=e164, name=name), 200 if name else 404

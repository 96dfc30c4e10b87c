"""JSON for the accounting system: finalised statements of a month, behind a staff-issued bearer token."""
from __future__ import annotations

from flask import abort, g, jsonify
from flask_babel import gettext as _

from console.audit.recorder import set_actor
from console.auth import tokens
from console.auth.scope import TokenPrincipal
from console.berlin_time import parse_month
from console.billing import services
from console.billing.blueprint import api_bp
from console.billing.models import BillingToken, RunState
from console.billing.statements import statement_json, statements


def _refused():
    response = jsonify(error=_("A valid bearer token is required (Authorization: Bearer …)."), status=401)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="stimme billing"'
    return response


@api_bp.get("/statements/<label>")
@tokens.bearer_required(BillingToken, _refused)
def month_statements(principal: TokenPrincipal, label: str):
    token = principal.token
    set_actor(None, f"billing token {token.prefix}… ({token.name})", g.get("request_id"))
    month = parse_month(label)
    run = services.find_run(*month) if month else None
    if run is None or run.state is not RunState.FINAL:
        abort(404)  # a draft is not there for the accounting system
    return jsonify(month=run.label, finalised_at=run.finalised_at.isoformat(),
                   statements=[statement_json(s) for s in statements(run)])

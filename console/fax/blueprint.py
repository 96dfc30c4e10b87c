"""The fax Blueprints: the fax log for people (views.py) and the gateway's API (api.py)."""
from flask import Blueprint

from console.extensions import csrf

bp = Blueprint("fax", __name__, url_prefix="/fax")
api_bp = Blueprint("fax_api", __name__, url_prefix="/api/v1/fax")
csrf.exempt(api_bp)  # the gateway's bearer token only, no session
BLUEPRINTS = (bp, api_bp)
VIEW_MODULES = ("views", "api")

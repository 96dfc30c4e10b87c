"""The fault-report blueprints: pages (views, work_views, admin_views) and the reseller API (api.py)."""
from __future__ import annotations

from flask import Blueprint

from console.extensions import csrf

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
api = Blueprint("incidents_api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # resellers' systems authenticate with a bearer token, never a cookie
BLUEPRINTS = (bp, api)
VIEW_MODULES = ("views", "work_views", "admin_views", "api")

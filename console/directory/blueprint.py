"""The phonebook blueprints: pages (views, import_views, settings_views, exchange_views) and the PBX lookup API."""
from __future__ import annotations

from flask import Blueprint

from console.extensions import csrf

bp = Blueprint("directory", __name__)
api = Blueprint("directory_api", __name__, url_prefix="/api/v1/directory")
csrf.exempt(api)  # PBXs authenticate with a bearer token, never a cookie
BLUEPRINTS = (bp, api)
VIEW_MODULES = ("views", "import_views", "settings_views", "exchange_views", "api")

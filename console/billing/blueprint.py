"""The billing Blueprint; views.py and api.py register on it."""
from flask import Blueprint

from console.extensions import csrf

bp = Blueprint("billing", __name__, url_prefix="/billing")
api_bp = Blueprint("billing_api", __name__, url_prefix="/api/billing")
csrf.exempt(api_bp)  # bearer tokens only, no session
BLUEPRINTS = (bp, api_bp)
VIEW_MODULES = ("views", "api")

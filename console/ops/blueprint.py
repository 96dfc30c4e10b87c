"""The operations blueprint: the Betrieb page, /metrics, /readyz (routes in console/ops/views.py)."""
from flask import Blueprint

bp = Blueprint("ops", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

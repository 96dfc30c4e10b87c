"""The accounts blueprint: resellers, customers, licences (views.py); sites, trunks, phone users (pbx_views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("accounts", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views", "pbx_views")  # each registers its routes on bp when create_app imports it

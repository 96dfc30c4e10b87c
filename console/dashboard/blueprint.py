"""The start page and the health check (views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

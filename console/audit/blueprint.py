"""The audit log's blueprint (views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

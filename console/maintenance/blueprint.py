"""The maintenance blueprint: windows and notices (views.py), calendar and RSS feeds behind a token (feeds.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance")
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views", "feeds")

"""Sign-in, sessions, passwords and logins (views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

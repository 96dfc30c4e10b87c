"""Hold music and announcements: the library pages and the files the PBX fetches (views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("media", __name__)
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

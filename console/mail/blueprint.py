"""The staff's mail pages: outbox, inbound messages, the embedded sink (views.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/mail")
BLUEPRINTS = (bp,)
VIEW_MODULES = ("views",)

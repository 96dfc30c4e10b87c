"""Voicemail blueprints: the inbox and settings pages (views), greetings (greeting_views), the staff page per
PBX (staff_views) and POST /api/v1/voicemail for a PBX's token (api). The WebDAV store is mounted by dav.py."""
from __future__ import annotations

from flask import Blueprint

from console.extensions import csrf

bp = Blueprint("voicemail", __name__)
api = Blueprint("voicemail_api", __name__, url_prefix="/api/v1/voicemail")
csrf.exempt(api)  # PBXs and other systems authenticate with a bearer token, never a cookie
BLUEPRINTS = (bp, api)
VIEW_MODULES = ("views", "staff_views", "api")

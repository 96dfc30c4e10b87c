"""Friendly error pages (and JSON for the API) that carry the request id."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("console.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist, or you may not see it."),
        405: _("This action is not available here."),
        413: _("The upload is too large."),
        429: _("Too many requests. Please wait a moment."),
        500: _("Something went wrong on our side."),
    }


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("Your form has expired or was sent from elsewhere. Reload the page and try again.")
        return _respond(400, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _respond(exc.code or 500, _titles().get(exc.code, exc.name))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        from console.extensions import db
        db.session.rollback()
        return _respond(500, _titles()[500])


def _respond(code: int, message: str):
    request_id = g.get("request_id", "-")
    if _wants_json():
        return jsonify(error=message, status=code, request_id=request_id), code
    return render_template("errors/error.html", code=code, message=message, request_id=request_id), code

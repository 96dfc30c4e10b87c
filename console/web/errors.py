"""Friendly error pages (and JSON for the API) that carry the request id."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

log = logging.getLogger("console.errors")


class InputRefused(BadRequest):
    """A 400 whose description is a message for the user (in their language), e.g. naming the field at fault."""

    def __init__(self, message: str):
        super().__init__(description=message)
        self.message = message


def message_for(exc: HTTPException) -> str:
    """What the user reads for an HTTP error: the specific message of an InputRefused, else the status's title."""
    if isinstance(exc, InputRefused):
        return exc.message
    return _titles().get(exc.code, exc.name)


def headers_of(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers the status requires (Allow with a 405, Retry-After, WWW-Authenticate), not its HTML body's type."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


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
        return _respond(exc.code or 500, message_for(exc), headers_of(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        from console.extensions import db
        db.session.rollback()
        return _respond(500, _titles()[500])


def _respond(code: int, message: str, headers: list[tuple[str, str]] | None = None):
    request_id = g.get("request_id", "-")
    if _wants_json():
        return jsonify(error=message, status=code, request_id=request_id), code, headers or []
    return (render_template("errors/error.html", code=code, message=message, request_id=request_id), code,
            headers or [])

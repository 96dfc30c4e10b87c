"""The stimme operations console: create_app() builds the Flask application."""
from __future__ import annotations

import importlib
import logging
import secrets
import time

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from console import logs
from console.config import INSTANCE_DIR, PROJECT_ROOT, Settings
from console.db import make_writers_wait
from console.extensions import babel, csrf, htmx, login_manager, migrate
from console.extensions import db as _db

LANGUAGES = ("de", "en")
log = logging.getLogger("console.request")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    settings.refuse_unsafe_production()  # also for settings built in code (from_env checks them already)
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.config.from_mapping(settings.flask_config())
    from console.web.converters import IdConverter
    app.url_map.converters["int"] = IdConverter  # before any route: every <int:…> is bounded to what an id can be
    app.extensions["settings"] = settings
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logs.configure(settings.log_format)

    _db.init_app(app)
    make_writers_wait(app)  # SQLite: every writer takes the write lock first and waits its turn (console/db.py)
    migrate.init_app(app, _db, directory=str(PROJECT_ROOT / "alembic"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: settings.timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from console import models  # noqa: F401  every model registered before the first query
    from console.auth import sessions

    login_manager.user_loader(sessions.load)  # the cookie names a server-side session that signing out ends

    _register_request_hooks(app)
    from console.web import guard
    guard.register(app)
    _register_blueprints(app)
    from console.web.errors import register_error_handlers
    register_error_handlers(app)
    from console.cli import register_cli
    register_cli(app)
    from console.billing.cli import billing_cli
    app.cli.add_command(billing_cli)
    from console.web import templating
    templating.register(app)
    from console.auth import permissions
    permissions.register(app)  # can(action, kind) in every template
    from console.voicemail import dav
    dav.mount(app)  # the PBXs' voicemail stores at /dav/<pbx>/ (WsgiDAV), beside the Flask routes
    from console.web import proxies
    proxies.install(app)   # the client's address behind the reverse proxy (PROXY_HOPS)
    return app


def _select_locale() -> str:
    if not has_request_context():
        return g.get("locale", "de")  # mail and CLI set g.locale for their recipient
    if request.path.startswith("/api/"):  # machines: one language per request, by Accept-Language only
        return request.accept_languages.best_match(LANGUAGES) or "de"
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or "de"


def _register_request_hooks(app: Flask) -> None:
    from console.audit.recorder import reset_actor, set_actor

    @app.before_request
    def start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if incoming.isalnum() and len(incoming) <= 40 else secrets.token_hex(8)
        g.started = time.perf_counter()
        if current_user.is_authenticated:
            g.audit_tokens = set_actor(current_user.id, f"{current_user.email} ({current_user.role.value})",
                                       g.request_id)
        else:
            g.audit_tokens = set_actor(None, f"anonymous {request.remote_addr}", g.request_id)

    @app.teardown_request
    def end_request(exc):
        if "audit_tokens" in g:
            reset_actor(g.pop("audit_tokens"))

    @app.after_request
    def finish_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
        response.vary.add("HX-Request")  # one URL answers a page or a fragment: caches must keep them apart
        if request.endpoint != "static":
            path = logs.redact(request.path)   # a feed's or a PBX's secret stays out of the log
            log.info("%s %s %s", request.method, path, response.status_code,
                     extra={"path": path, "status": response.status_code,
                            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)})
        return response


def _register_blueprints(app: Flask) -> None:
    """Every feature's blueprints, each with the routes of the view modules its blueprint.py names."""
    from console.accounts import blueprint as accounts
    from console.audit import blueprint as audit
    from console.auth import blueprint as auth
    from console.dashboard import blueprint as dashboard
    from console.directory import blueprint as directory
    from console.incidents import blueprint as incidents
    from console.mail import blueprint as mail
    from console.maintenance import blueprint as maintenance
    from console.media import blueprint as media

    from console.ops import blueprint as ops
    from console.billing import blueprint as billing
    from console.voicemail import blueprint as voicemail

    from console.fax import blueprint as fax

    for feature in (dashboard, auth, accounts, audit, maintenance, media, mail, incidents, directory, ops, billing,
                    voicemail, fax):
        package = feature.__name__.rpartition(".")[0]
        for module in feature.VIEW_MODULES:
            importlib.import_module(f"{package}.{module}")  # its routes land on the feature's blueprint
        for blueprint in feature.BLUEPRINTS:
            app.register_blueprint(blueprint)
    from console.ops import metrics
    metrics.init_app(app)

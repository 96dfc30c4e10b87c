"""Staff's Betrieb page; /metrics for Prometheus (a token or an allowed address); /readyz for load balancers."""
from __future__ import annotations

import hmac
import ipaddress
import time

from flask import Response, current_app, jsonify, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from console import health
from console.auth.permissions import requires
from console.extensions import db
from console.ops import daily, metrics, watch
from console.ops.blueprint import bp
from console.ops.restore import code_revision


def _may_scrape() -> bool:
    settings = current_app.extensions["settings"]
    given = request.headers.get("Authorization", "")
    if settings.metrics_token and given.startswith("Bearer ") and hmac.compare_digest(
            given[7:].strip().encode(), settings.metrics_token.encode()):
        return True
    if not settings.proxy_hops and ("X-Forwarded-For" in request.headers or "Forwarded" in request.headers):
        return False   # came through a proxy nobody declared (PROXY_HOPS=0): its address says nothing of the client
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for network in filter(None, (part.strip() for part in settings.metrics_allow.split(","))):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue  # a malformed entry allows nothing
    return False


def _probes() -> dict[str, tuple[bool, float]]:
    """Each dependency: whether it answers, and how long it took (the probes of /healthz, side by side)."""
    settings = current_app.extensions["settings"]
    timed: dict[str, tuple[bool, float]] = {}

    def timing(name, probe):
        def run():
            began = time.perf_counter()
            result = probe()
            timed[name] = (result["ok"], time.perf_counter() - began)
            return result
        return run

    started = time.perf_counter()
    timed["database"] = (health.database(db.session)["ok"], time.perf_counter() - started)
    results = health.run_bounded({"smtp": timing("smtp", lambda: health.smtp(settings)),
                               "ldap": timing("ldap", lambda: health.ldap_directory(settings))},
                              timeout=health.TIMEOUT + 0.5)
    for name, result in results.items():
        timed.setdefault(name, (result["ok"], health.TIMEOUT + 0.5))
    return timed


@bp.get("/metrics")
def prometheus_metrics():
    if not _may_scrape():
        return Response("forbidden: send Authorization: Bearer <METRICS_TOKEN> or scrape from METRICS_ALLOW\n",
                        status=403, mimetype="text/plain")
    body = metrics.exposition(_probes())
    db.session.rollback()  # a GET commits nothing
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers and has this code's schema (migrations ran before the start)."""
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001  not ready is the answer, not a 500
        db.session.rollback()
        return jsonify(status="not ready", reason=f"database: {type(exc).__name__}"), 503
    wanted = code_revision()
    if revision != wanted:
        return jsonify(status="not ready", reason=f"schema at {revision}, code needs {wanted}: run "
                                                  "`flask --app app db upgrade`"), 503
    return jsonify(status="ready", revision=revision)


@bp.get("/ops/")
@requires("view", "operations")
def index():
    facts, charts, findings = metrics.figures(), daily.last_days(), watch.findings()
    db.session.rollback()
    return render_template("ops/index.html", facts=facts, probes=_probes(), charts=charts,
                           backup_overdue="backup_old" in findings, drill_overdue="drill_old" in findings)

"""Staff browse and filter the audit log."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import request
from sqlalchemy import func, select

from console.audit import presenting
from console.audit.blueprint import bp
from console.audit.models import AuditEntry
from console.auth.permissions import requires
from console.bounds import clamp_day, search_term
from console.clock import BERLIN
from console.extensions import db
from console.web.render import paginate, render, search


@bp.get("/audit/")
@requires("view", "audit")
def index():
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    args = request.args
    if args.get("object_type"):
        query = query.where(AuditEntry.object_type == args["object_type"])
    if args.get("action") in {"create", "update", "delete"}:
        query = query.where(AuditEntry.action == args["action"])
    if args.get("actor"):
        query = query.where(func.lower(AuditEntry.actor).contains(search_term(args["actor"]).lower(),
                                                                  autoescape=True))
    query = search(query, AuditEntry.object_label)
    for name in ("from", "until"):
        try:
            day = clamp_day(datetime.strptime(args.get(name, ""), "%Y-%m-%d").date())
        except ValueError:
            continue
        if name == "from":
            query = query.where(AuditEntry.at >= datetime.combine(day, time(0), BERLIN))
        else:  # the whole "until" day counts
            query = query.where(AuditEntry.at < datetime.combine(day + timedelta(days=1), time(0), BERLIN))
    types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    return render("audit/index.html", "audit/_rows.html", page=paginate(query), types=types, show=presenting)

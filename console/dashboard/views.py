"""The start page per role, and the health check that monitoring polls."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user, login_required
from sqlalchemy import func, select

from console.accounts.models import Customer, LicenceKind, PhoneUser, Pbx, Reseller
from console.auth.models import Role
from console.auth.permissions import can
from console.auth.scope import scoped
from console.clock import today_berlin
from console.dashboard.blueprint import bp
from console.incidents import worklists
from console.incidents.availability import year_report
from console.incidents.models import Incident, Priority, State
from console.extensions import db
from console.maintenance import notices
from console.web.render import render


@bp.get("/")
@login_required
def index():
    if current_user.role is Role.END_USER:
        return render("dashboard/end_user.html", user=current_user.phone_user)
    count = lambda model: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(scoped(model, current_user).subquery()))
    stats = {"customers": count(Customer), "users": count(PhoneUser)}
    if current_user.is_staff:
        stats["resellers"] = count(Reseller)
    today = today_berlin()
    demos = [p for p in db.session.scalars(scoped(Pbx, current_user).where(Pbx.licence == LicenceKind.DEMO)
                                           .order_by(Pbx.licence_start))]
    customer = current_user.customer if current_user.role is Role.CUSTOMER_ADMIN else None
    return render("dashboard/index.html", stats=stats, demos=demos, today=today, customer=customer,
                  incidents=_open_incidents(), availability=_availability(),
                  overviews=worklists.counts(current_user) if can(current_user, "view", "incident") else [],
                  windows=notices.banner_windows(current_user), backups=_backups())


def _backups() -> dict | None:
    """The last good backup and restore drill, and whether either is overdue or failed (staff only)."""
    if not can(current_user, "view", "operations"):
        return None
    from console.ops import records, watch
    return {"backup": records.last("backup", ok_only=True), "drill": records.last("drill", ok_only=True),
            "findings": watch.findings()}


def _open_incidents() -> dict | None:
    """Open fault reports by priority, and how many breached their SLA (staff and resellers)."""
    if not can(current_user, "view", "incident"):
        return None
    open_ = scoped(Incident, current_user).where(Incident.state.not_in([State.RESOLVED, State.CLOSED])).subquery()
    by_priority = dict(db.session.execute(select(open_.c.priority, func.count()).group_by(open_.c.priority)).all())
    breached = db.session.scalar(select(func.count()).select_from(open_).where(open_.c.sla_breached.is_(True)))
    return {"by_priority": {p.value: by_priority.get(p.value, by_priority.get(p, 0)) for p in Priority},
            "total": sum(by_priority.values()), "breached": breached}


def _availability():
    return year_report(today_berlin().year) if can(current_user, "view", "availability") else None


@bp.get("/healthz")
def healthz():
    """The state of each dependency, for monitoring (console/health.py). Public, and tells nothing secret."""
    from console import health
    body, status = health.report(db.session, current_app.extensions["settings"])
    return jsonify(body), status

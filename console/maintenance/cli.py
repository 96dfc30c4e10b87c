"""`flask --app app maintenance …`: list, schedule, cancel windows and run the notice ticker from scripts."""
from __future__ import annotations

import json

import click
from flask_babel import gettext as _
from sqlalchemy import select

from console.audit.recorder import acting_as
from console.berlin_time import describe
from console.cli_types import BerlinDateTime, Id, Text, not_found
from console.errors import RuleViolation
from console.extensions import db


@click.group("maintenance", help="Maintenance windows and their notices.")
def maintenance_cli():
    pass


def _fail(exc: RuleViolation):
    raise click.ClickException(exc.text("; "))


@maintenance_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="include completed and cancelled windows")
@click.option("--json", "as_json", is_flag=True, help="print JSON lines")
def list_windows(show_all: bool, as_json: bool):
    """List the windows that are planned, announced or running (with --all: every window), earliest first."""
    from console.maintenance.models import MaintenanceWindow, WindowState
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at)
    if not show_all:
        query = query.where(MaintenanceWindow.state.not_in([WindowState.COMPLETED, WindowState.CANCELLED]))
    for w in db.session.scalars(query):
        row = {"id": w.id, "uid": w.uid, "kind": w.kind.value, "state": w.state.value,
               "starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat(), "title": w.title_de,
               "pbxs": [p.name for p in w.pbxs] or "platform"}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{w.id:>4}  {w.state.value:<10} {w.kind.value:<9} {describe(w.starts_at)} → "
                   f"{describe(w.ends_at)}  {w.title_de}")


_WHEN = ("Berlin time, e.g. 2026-12-08T22:00; with a UTC offset (2026-12-08T21:00+00:00) it is that instant")


@maintenance_cli.command("schedule")
@click.option("--kind", type=click.Choice(["regular", "emergency"]), default="regular", show_default=True,
              help="regular windows follow the notice periods; emergency windows need --reason")
@click.option("--reason", type=click.Choice(["fault", "security"]), help="emergency windows only")
@click.option("--start", "start", required=True, type=BerlinDateTime(), help=f"when it starts: {_WHEN}")
@click.option("--end", "end", required=True, type=BerlinDateTime(), help="when it ends (as --start)")
@click.option("--pbx", "pbx_names", multiple=True, type=Text(253),
              help="affected PBX by name (repeat); none = whole platform")
@click.option("--title-de", required=True, type=Text(200), help="title in German (shown to customers)")
@click.option("--title-en", default="", type=Text(200), help="title in English")
@click.option("--description-de", default="", type=Text(5000, multiline=True), help="description in German")
@click.option("--description-en", default="", type=Text(5000, multiline=True), help="description in English")
def schedule_window(kind, reason, start, end, pbx_names, title_de, title_en, description_de, description_en):
    """Schedule (and announce) a window; refused with the earliest allowed start if it breaks §7.2–§7.4."""
    from console.accounts.models import Pbx
    from console.maintenance import services
    from console.maintenance.models import EmergencyReason, WindowKind

    pbxs = list(db.session.scalars(select(Pbx).where(Pbx.name.in_(pbx_names)))) if pbx_names else []
    missing = set(pbx_names) - {p.name for p in pbxs}
    if missing:
        raise not_found(_("There is no PBX named %(names)s.", names=", ".join(sorted(missing))), "--pbx")
    with acting_as(None, "cli"):
        try:
            window = services.schedule(
                actor_label="cli", kind=WindowKind(kind), reason=EmergencyReason(reason) if reason else None,
                starts_at=start, ends_at=end, pbxs=pbxs, title_de=title_de,
                title_en=title_en, description_de=description_de, description_en=description_en)
        except RuleViolation as exc:
            _fail(exc)
        db.session.commit()
    click.echo(f"window {window.id} {window.state.value}: {describe(window.starts_at)} → {describe(window.ends_at)}")


@maintenance_cli.command("cancel")
@click.argument("window_id", type=Id())
@click.option("--note", default="", type=Text(2000, multiline=True), help="why; kept with the window as its note")
def cancel_window(window_id: int, note: str):
    """Cancel window WINDOW_ID (its id from `maintenance list`); whoever was told gets the cancellation."""
    from console.maintenance import services
    from console.maintenance.models import MaintenanceWindow

    window = db.session.get(MaintenanceWindow, window_id)
    if window is None:
        raise not_found(_("There is no maintenance window %(id)d.", id=window_id), "WINDOW_ID")
    with acting_as(None, "cli"):
        try:
            services.cancel(window, note)
        except RuleViolation as exc:
            _fail(exc)
        db.session.commit()
    click.echo(f"window {window_id} cancelled")


@maintenance_cli.command("tick")
def tick():
    """Send what fell due now (what the scheduler's maintenance job does)."""
    from console.maintenance.jobs import send_due_notices
    send_due_notices()
    click.echo("done")

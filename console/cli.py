"""Command-line operations for staff: `flask --app app accounts …`, `flask --app app demo load`."""
from __future__ import annotations

import json

import click
from flask import Flask
from sqlalchemy import select

from flask_babel import gettext as _

from console.audit.recorder import acting_as
from console.cli_types import Email, Month, Text, not_found
from console.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
    from console.media.cli import media_cli
    app.cli.add_command(media_cli)
    from console.directory.cli import directory_cli
    app.cli.add_command(directory_cli)
    from console.maintenance.cli import maintenance_cli
    app.cli.add_command(maintenance_cli)
    from console.ops.cli import backup_cli
    app.cli.add_command(backup_cli)
    from console.jobs.cli import jobs_cli, scheduler_command
    from console.mail.cli import mail_cli, smtpd_command
    for command in (jobs_cli, scheduler_command, mail_cli, smtpd_command):
        app.cli.add_command(command)


@click.group("accounts", help="Logins, resellers and customers.")
def accounts_cli():
    pass


@accounts_cli.command("create-staff")
@click.option("--email", required=True, type=Email(), help="the login's e-mail address (signs in with it)")
@click.option("--name", required=True, type=Text(200), help="the person's name")
@click.option("--role", type=click.Choice(["staff_admin", "staff_support"]), default="staff_admin",
              show_default=True, help="what the login may do")
@click.password_option(type=Text(200), help="At least 10 characters (asked for when not given).")
def create_staff(email: str, name: str, role: str, password: str):
    """Create a staff login (the first one has to come from here)."""
    from console.auth.models import Login, Role
    from console.auth.services import save_login
    from console.errors import RuleViolation

    bootstrap = Login(role=Role.STAFF_ADMIN, email="cli", name="cli")  # not saved: the acting principal
    with acting_as(None, "cli"):
        try:
            login = save_login(bootstrap, None, email=email, name=name, role=Role(role), password=password)
        except RuleViolation as exc:
            raise click.ClickException(exc.text("; ")) from None
        db.session.commit()
    click.echo(f"created {login.email} ({login.role.value})")


@accounts_cli.command("list-customers")
@click.option("--reseller", type=Text(200), help="only this reseller's customers (its name)")
@click.option("--json", "as_json", is_flag=True, help="print JSON lines")
def list_customers(reseller: str | None, as_json: bool):
    """List customers with their PBX, licence and user count."""
    from console.accounts.models import Customer, Reseller

    query = select(Customer).join(Reseller).order_by(Reseller.name, Customer.name)
    if reseller:
        if db.session.scalar(select(Reseller.id).where(Reseller.name == reseller)) is None:
            raise not_found(_("There is no reseller named “%(name)s”.", name=reseller), "--reseller")
        query = query.where(Reseller.name == reseller)
    for c in db.session.scalars(query):
        row = {"id": c.id, "customer": c.name, "reseller": c.reseller.name, "pbx": c.pbx.name if c.pbx else None,
               "licence": c.pbx.licence.value if c.pbx else None, "users": len(c.pbx.users) if c.pbx else 0}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{row['id']:>5}  {row['customer']:<30} {row['reseller']:<25} {row['pbx'] or '-':<25} "
                   f"{row['licence'] or '-':<9} {row['users']:>4} users")


@accounts_cli.command("peak")
@click.argument("month", type=Month())
def peak(month: tuple[int, int]):
    """Peak licence counts per customer for MONTH, written YYYY-MM (the billing basis, §2)."""
    from console.accounts.models import Customer
    from console.billing.services import customer_peaks

    year, mon = month
    for c in db.session.scalars(select(Customer).order_by(Customer.name)):
        click.echo(json.dumps({"customer": c.name, **customer_peaks(c.id, year, mon)}, ensure_ascii=False))


@click.group("demo", help="Demo data for trying the console.")
def demo_cli():
    pass


@demo_cli.command("load")
def demo_load():
    """Load the demo resellers, customers and logins (idempotent: existing demo data is left alone)."""
    from console.demo import DemoRefused, load_demo_data

    with acting_as(None, "demo loader"):
        try:
            created = load_demo_data()
        except DemoRefused as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present")

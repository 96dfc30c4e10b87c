"""`flask --app app directory …`: caller-name lookup, the PBX's LDAP settings, tokens, Exchange syncs."""
from __future__ import annotations

import click
from flask_babel import gettext as _
from sqlalchemy import select

from console.accounts.models import PhoneUser, Pbx
from console.cli_types import Text, not_found
from console.extensions import db


@click.group("directory", help="Phonebooks in LDAP: lookup, PBX settings, tokens, Exchange sync.")
def directory_cli():
    pass


def _pbx(name: str) -> Pbx:
    pbx = db.session.scalar(select(Pbx).where(Pbx.name == name))
    if pbx is None:
        raise not_found(_("There is no PBX named %(names)s.", names=name), "--pbx")
    return pbx


@directory_cli.command("lookup")
@click.option("--pbx", "pbx_name", required=True, type=Text(253), help="the PBX's name")
@click.option("--user", "extension", type=Text(20), help="also the private book of the user with this extension")
@click.argument("number", type=Text(40))
def lookup(pbx_name: str, extension: str | None, number: str):
    """Print the caller name for NUMBER (exit status 1 when nobody has it)."""
    from console.directory.books import lookup_name
    from console.directory.connection import get_directory

    pbx = _pbx(pbx_name)
    user = None
    if extension:
        user = db.session.scalar(select(PhoneUser).where(PhoneUser.pbx_id == pbx.id,
                                                         PhoneUser.extension == extension))
        if user is None:
            raise not_found(_("%(pbx)s has no user with extension %(extension)s.", pbx=pbx_name,
                              extension=extension), "--user")
    from console.directory.connection import DirectoryUnavailable
    try:
        name = lookup_name(get_directory(), pbx, number, user)
    except DirectoryUnavailable as exc:
        raise click.ClickException(_("The directory is not reachable: %(error)s", error=exc)) from None
    if name is None:
        click.echo("not found", err=True)
        raise SystemExit(1)
    click.echo(name)


@directory_cli.command("ldap-url")
@click.option("--pbx", "pbx_name", required=True, type=Text(253), help="the PBX's name")
def ldap_url(pbx_name: str):
    """Print the settings to enter on the innovaphone PBX (reverse lookup URL, search base, bind account)."""
    from console.directory.connection import get_directory
    from console.directory.pbx_settings import innovaphone_settings

    settings = innovaphone_settings(get_directory(), _pbx(pbx_name))
    click.echo(settings["reverse_lookup_url"])
    click.echo("  %n: the caller's number without '+'; %u: the called user's name on the PBX (H.323), which "
               "must be the user's extension: private books are kept under it", err=True)
    click.echo(f"search base: {settings['search_base']}", err=True)
    click.echo(f"bind account: {settings['bind_dn']} (password: directory reader-password --pbx {pbx_name})",
               err=True)


@directory_cli.command("reader-password")
@click.option("--pbx", "pbx_name", required=True, type=Text(253), help="the PBX's name")
def reader_password(pbx_name: str):
    """Create the PBX's LDAP bind account or give it a new password, printed once (stimme operations only:
    the account reads every book of the PBX). The PBX looks up no names until the new one is entered."""
    from console.directory.connection import get_directory
    from console.directory.pbx_settings import set_reader_password

    click.echo(set_reader_password(get_directory(), _pbx(pbx_name)))


@directory_cli.command("issue-token")
@click.option("--pbx", "pbx_name", required=True, type=Text(253), help="the PBX's name")
@click.option("--name", default="PBX", show_default=True, type=Text(100), help="what the token is for")
def issue_token(pbx_name: str, name: str):
    """Issue a bearer token for GET /api/v1/directory/lookup (printed once)."""
    from console.audit.recorder import acting_as
    from console.auth import tokens
    from console.directory.models import DirectoryToken

    with acting_as(None, "cli"):
        _, token = tokens.issue(DirectoryToken, "dir_", pbx=_pbx(pbx_name), name=name)
        db.session.commit()
    click.echo(token)


@directory_cli.command("sync")
@click.option("--customer", "customer_name", required=True, type=Text(200), help="the customer's name")
def sync(customer_name: str):
    """Run the customer's Exchange sync now and print the report."""
    from console.accounts.models import Customer
    from console.audit.recorder import acting_as
    from console.directory import exchange
    from console.directory.connection import get_directory
    from console.directory.models import ExchangeAccount

    account = db.session.scalar(select(ExchangeAccount).join(Customer).where(Customer.name == customer_name))
    if account is None:
        raise not_found(_("“%(name)s” is no customer with an Exchange account.", name=customer_name), "--customer")
    with acting_as(None, "cli"):
        run = exchange.request_sync(account, "manual")
        db.session.commit()
        if exchange.start_run(run.id) is not None:   # else another process runs it
            db.session.commit()
            for _checkpoint in exchange.sync_steps(run, get_directory()):
                db.session.commit()
    click.echo(f"{run.status.value}: {run.created} created, {run.updated} updated, {run.deleted} deleted, "
               f"{run.skipped} skipped{' (full)' if run.full else ''}")
    for line in (run.report or "").splitlines():
        click.echo(f"  {line}")
    if run.error:
        raise click.ClickException(run.error)

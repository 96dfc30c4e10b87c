"""`flask --app app media …`: run the conversion without the scheduler, make the standard hold music."""
from __future__ import annotations

import click

from console.audit.recorder import acting_as
from console.extensions import db


@click.group("media", help="Hold music and announcements.")
def media_cli():
    pass


@media_cli.command("convert-pending")
def convert_pending_command():
    """Convert the uploads that wait for conversion."""
    from console.media.jobs import convert_pending

    with acting_as(None, "cli media convert-pending"):
        done = convert_pending()
    click.echo(f"{done} version(s) converted or refused")


@media_cli.command("standard-music")
def standard_music_command():
    """Create the standard hold music every PBX uses until it has its own (idempotent)."""
    from console.media.standard import ensure_standard_hold_music

    with acting_as(None, "cli media standard-music"):
        created = ensure_standard_hold_music()
        db.session.commit()
    click.echo("standard hold music created" if created else "standard hold music already present")

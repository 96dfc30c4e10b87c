"""`flask --app app backup …`: create, restore, list and drill the archives (one command for each)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _

from console.cli_types import Text


@click.group("backup", help="Backups: create, restore, list, drill.")
def backup_cli():
    pass


@backup_cli.command("create")
@click.option("--to", "target_dir", type=Text(4096), help="folder for the archive (default: BACKUP_DIR)")
def backup_command(target_dir: str | None):
    """Write one archive: database, directory (LDIF), stored files and a manifest with checksums."""
    from console.ops import backup
    from console.ops.jobs import backup_recorded
    settings = current_app.extensions["settings"]
    target = Path(target_dir) if target_dir else None
    path = backup_recorded(target)
    removed = backup.prune(settings.backup_keep_days, target)
    click.echo(_("backup written: %(path)s", path=str(path)))
    if removed:
        click.echo(_("%(count)s old archive(s) removed (kept: %(days)s days)", count=len(removed),
                     days=settings.backup_keep_days))


@backup_cli.command("restore")
@click.argument("archive_path", metavar="ARCHIVE", type=Text(4096))
def restore_command(archive_path: str):
    """Restore ARCHIVE into this installation, which must be empty (new database, directory, file stores)."""
    from console.ops.archive import BackupDamaged
    from console.ops.restore import RestoreMismatch, RestoreRefused, restore
    try:
        result = restore(Path(archive_path))
    except (BackupDamaged, RestoreRefused, RestoreMismatch) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("restored: %(tables)s tables with %(rows)s rows, %(entries)s directory entries, %(files)s files",
                 tables=result.tables, rows=result.rows, entries=result.entries, files=sum(result.files.values())))


@backup_cli.command("list")
def list_command():
    """The archives in BACKUP_DIR, newest first."""
    from console.ops import backup
    for item in backup.existing():
        click.echo(f"{item.created.isoformat(timespec='seconds')}  {item.path.stat().st_size:>12}  {item.path}")


@backup_cli.command("drill")
@click.argument("archive_path", metavar="ARCHIVE", required=False, type=Text(4096))
def drill_command(archive_path: str | None):
    """Restore ARCHIVE (optional; default: the newest) into a scratch database and slapd and compare with its manifest."""
    from console.ops.drill import drill_recorded
    record = drill_recorded(Path(archive_path) if archive_path else None)
    if not record.ok:
        raise click.ClickException(_("restore drill failed: %(detail)s", detail=record.detail))
    click.echo(_("restore drill passed: %(detail)s", detail=record.detail))

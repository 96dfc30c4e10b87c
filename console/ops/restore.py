"""`flask --app app backup restore ARCHIVE`: load a backup into an *empty* installation, after every check has passed.

Refused, with nothing changed: a damaged or truncated archive (checksums), an archive of another schema revision
(install the version that has it), a target that already holds data (database tables, directory entries below
the base, stored files). Only then are database, directory and files restored, and the result compared with the
manifest's counts.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _

from console.config import PROJECT_ROOT
from console.directory.connection import Directory, get_directory
from console.extensions import db
from console.ops import archive, database, directory, files


class RestoreRefused(RuntimeError):
    """The restore did not start; the message says why and what to do."""


class RestoreMismatch(RuntimeError):
    """The restore ran but what it loaded differs from the manifest."""


@dataclass
class Restored:
    tables: int = 0
    rows: int = 0
    entries: int = 0
    files: dict[str, int] = field(default_factory=dict)


def code_revision() -> str | None:
    """The schema revision this code's migrations end at."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


def _refuse_unless_empty(engine, ldap: Directory, settings) -> None:
    occupied = []
    if not database.is_empty(engine):
        occupied.append(_("the database has tables"))
    if directory.below_base(ldap):
        occupied.append(_("the directory has entries below %(base)s", base=ldap.base_dn))
    occupied += [_("the file store “%(store)s” holds files", store=name) for name in files.non_empty(settings)]
    if occupied:
        raise RestoreRefused(_("Refusing to restore into an installation that is not empty: %(what)s. Restore into "
                               "a new installation (empty database, directory and file stores).",
                               what="; ".join(occupied)))


def check(manifest: dict, engine, ldap: Directory) -> None:
    wanted, ours = manifest.get("revision"), code_revision()
    if wanted != ours:
        raise RestoreRefused(_("The archive holds schema revision %(theirs)s, this console is at %(ours)s. Install "
                               "the console version whose migrations end at %(theirs)s, restore there, then upgrade "
                               "with `flask --app app db upgrade`.", theirs=wanted or "(none)", ours=ours))
    if manifest["database"]["dialect"] != engine.dialect.name:
        raise RestoreRefused(_("The archive holds a %(theirs)s database; this installation uses %(ours)s.",
                               theirs=manifest["database"]["dialect"], ours=engine.dialect.name))
    if manifest["directory"]["base_dn"].lower() != ldap.base_dn.lower():
        raise RestoreRefused(_("The archive's directory is below %(theirs)s; this installation uses %(ours)s "
                               "(LDAP_BASE_DN).", theirs=manifest["directory"]["base_dn"], ours=ldap.base_dn))


def restore(path: Path, *, engine=None, ldap: Directory | None = None, settings=None) -> Restored:
    """Check the archive and the target, then restore; RestoreRefused or archive.BackupDamaged otherwise."""
    engine = engine if engine is not None else db.engine
    ldap = ldap or get_directory()
    settings = settings or current_app.extensions["settings"]
    if not Path(path).is_file():
        raise RestoreRefused(_("There is no archive at %(path)s.", path=str(path)))
    unpacked = Path(tempfile.mkdtemp(prefix="stimme-restore-"))
    try:
        manifest = archive.extract_verified(Path(path), unpacked)
        check(manifest, engine, ldap)
        _refuse_unless_empty(engine, ldap, settings)
        facts = manifest["database"]
        database.restore(engine, unpacked / facts["part"], facts["dialect"])
        result = Restored(entries=directory.restore(ldap, unpacked / manifest["directory"]["part"]),
                          files=files.copy_in(settings, unpacked))
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    counts, _revision = database.counts_and_revision(engine)
    if counts != facts["counts"]:
        differing = sorted(name for name in set(counts) | set(facts["counts"])
                           if counts.get(name) != facts["counts"].get(name))
        raise RestoreMismatch(_("The restored database does not match the manifest in: %(tables)s.",
                               tables=", ".join(differing[:10])))
    result.tables, result.rows = len(counts), sum(counts.values())
    return result

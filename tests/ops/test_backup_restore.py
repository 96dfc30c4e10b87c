"""A populated console is backed up, restored into an empty installation, and what users see is the same.

The check is what people and machines would notice: every table's rows, the fault report on the staff page, the
phonebooks as ldapsearch reads them from the restored slapd, the hold music the PBX downloads. A damaged, a
truncated and a wrong-revision archive, and a target that is not empty, are refused with nothing changed.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import flask_migrate
import pytest
from flask import g
from sqlalchemy import MetaData, select

from console.accounts import services as accounts
from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
from console.auth.models import Login, Role
from console.auth.services import save_login
from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.tree import Contact
from console.extensions import db
from console.media import jobs as media_jobs
from console.media import services as media
from console.media.models import MediaKind
from console.ops import archive, backup, sealing
from console.ops.archive import BackupDamaged
from console.ops.restore import RestoreRefused, restore
from tests.conftest import TEST_PASSWORD, Browser
from tests.incidents.factories import make_incident
from tests.media import audiogen
from tests.fax import documents as fax_documents
from tests.fax.factories import fax_ids
from tests.ops.fill import fill_every_empty_table
from tests.ops.instances import installation
from tests.voicemail.factories import voicemail_ids

pytestmark = pytest.mark.no_db
REPORT_TITLE = "Keine Anrufe in der Filiale Köpenick"


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A source installation with data everywhere, and one archive of it."""
    root = tmp_path_factory.mktemp("backup")
    source = installation(root, "src")
    yield source, root
    source.close()


@pytest.fixture
def target(populated, tmp_path):
    made = installation(tmp_path, "dst")
    yield made
    made.close()


def _fill():
    g.locale = "en"
    flask_migrate.upgrade()
    actor = Login(role=Role.STAFF_ADMIN, email="factory@stimme.example", name="factory")
    reseller = accounts.save_reseller(None, name="Reseller Ost", notice_email="noc@ost.example")
    customer = accounts.create_customer(
        actor, reseller=reseller, name="Köpenicker Bäckerei", pbx_name="pbx-koepenick.stimme.test",
        licence=LicenceKind.BASE, licence_start=None, gateway_serial=None, site_name="Zentrale",
        street="Hauptstraße 1", postcode="12555", city="Berlin")
    accounts.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                        provider_name=None, base_number="030 6540", first_extension="0", last_extension="99")
    user = accounts.save_phone_user(None, pbx=customer.pbx, site=customer.pbx.sites[0], first_name="Jana",
                                    last_name="Jansen", extension="21", package=Package.KLARE)
    staff = save_login(actor, None, email="ops-staff@stimme.example", name="Ops", role=Role.STAFF_ADMIN,
                       password=TEST_PASSWORD)
    make_incident(customer, title=REPORT_TITLE)
    directory = get_directory()
    books.save_entry(directory, Book(customer.pbx), Contact(surname="Schmidt", company="Mehl & Co",
                                                            phone="030 1234567"))
    books.save_entry(directory, Book(customer.pbx, user), Contact(surname="Oma", phone="030 7654321"))
    item = media.create_item(customer.pbx, kind=MediaKind.HOLD_MUSIC, name="Sommer")
    media.add_version("test", item, audiogen.wav_bytes(audiogen.tune(2.0, 16000), 16000), "sommer.wav")
    db.session.commit()
    media_jobs.convert_pending()
    voicemail_ids(customer, user=user)                      # a recording in the voicemail store
    fax_ids(customer, user, fax_documents.letter_pdf(1))    # a PDF in the fax store
    db.session.commit()
    fill_every_empty_table()
    return staff, customer


def _all_rows() -> dict[str, list]:
    meta = MetaData()
    meta.reflect(bind=db.engine)
    with db.engine.connect() as conn:
        return {name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for name, table in meta.tables.items()}


def _ldapsearch(server) -> list[str]:
    """The directory as a standard client reads it: each entry's lines (attribute order means nothing in LDAP)."""
    out = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", server.url, "-D", server.root_dn,
                          "-w", server.root_pw, "-b", server.suffix, "(objectClass=*)"],
                         capture_output=True, text=True, check=True).stdout
    return sorted("\n".join(sorted(record.strip().splitlines())) for record in out.split("\n\n") if record.strip())


def _files(root: str) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def _stores(settings) -> dict[str, dict[str, bytes]]:
    """Every file store's files (media, voicemail, fax) with their bytes."""
    return {name: _files(getattr(settings, f"{name}_dir")) for name in ("media", "voicemail", "fax")}


@pytest.fixture(scope="module")
def archive_of_source(populated):
    source, _root = populated
    with source.app.app_context():
        staff, customer = _fill()
        seen = {"rows": _all_rows(), "directory": _ldapsearch(source.slapd), "files": _stores(source.settings),
                "staff_email": staff.email, "customer_id": customer.id}
        path = backup.create()
    return path, seen


def _empty(target) -> bool:
    from console.ops import database, directory, files
    with target.app.app_context():
        return (database.is_empty(db.engine) and directory.below_base(get_directory()) == 0
                and not files.non_empty(target.settings))


def test_a_restored_installation_shows_what_the_original_showed(archive_of_source, target):
    path, seen = archive_of_source
    empty = sorted(name for name, rows in seen["rows"].items() if not rows)
    assert empty == [], f"the source leaves tables empty, so their round trip is not tested: {empty}"
    with target.app.app_context():
        g.locale = "en"
        result = restore(path)
        assert _all_rows() == seen["rows"], "a table lost or changed rows"
        assert result.rows == sum(len(rows) for rows in seen["rows"].values())
        page = Browser(target.app)
        assert page.login(seen["staff_email"]).status_code == 303
        assert REPORT_TITLE in page.get("/incidents/").get_data(as_text=True)
    assert _ldapsearch(target.slapd) == seen["directory"]
    assert any("sn: Oma" in record for record in seen["directory"]), "the private book was not in the backup"
    assert _stores(target.settings) == seen["files"]
    assert any(name.endswith(".g711a") for name in seen["files"]["media"]), "no converted media in the source"
    assert seen["files"]["voicemail"] and seen["files"]["fax"], "no voicemail or fax file in the source"


def test_an_archive_is_complete_and_its_manifest_says_what_it_holds(archive_of_source):
    path, seen = archive_of_source
    manifest = archive.read_manifest(path)
    assert manifest["revision"] and manifest["revision"] == seen["rows"]["alembic_version"][0][0]
    assert manifest["database"]["counts"] == {name: len(rows) for name, rows in seen["rows"].items()}
    assert manifest["files"] == {name: len(files) for name, files in seen["files"].items()}
    assert manifest["directory"]["entries"] == len(seen["directory"])
    assert not list(path.parent.glob("*.partial")) and not list(path.parent.glob(".staging-*"))


def _rewritten(path: Path, into: Path, change) -> Path:
    """A copy of the archive with `change(name, data) -> data` applied to each member."""
    out = into / path.name
    with tarfile.open(path) as source, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as copy:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out


def test_a_damaged_archive_is_refused_and_nothing_changes(archive_of_source, target, tmp_path):
    path, _seen = archive_of_source
    damaged = _rewritten(path, tmp_path, lambda name, data: data.replace(b"Schmidt", b"Schmidx")
                         if name == "directory.ldif" else data)
    with target.app.app_context():
        g.locale = "en"
        with pytest.raises(BackupDamaged, match="directory.ldif.*does not match the checksum"):
            restore(damaged)
    assert _empty(target)


def test_a_truncated_archive_is_refused_and_nothing_changes(archive_of_source, target, tmp_path):
    path, _seen = archive_of_source
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    with target.app.app_context():
        g.locale = "en"
        with pytest.raises(BackupDamaged, match="damaged or truncated|incomplete"):
            restore(truncated)
    assert _empty(target)


def test_another_schema_revision_is_refused_naming_the_one_to_install(archive_of_source, target, tmp_path):
    path, _seen = archive_of_source

    def older(name, data):
        if name != archive.MANIFEST:
            return data
        return json.dumps(json.loads(data) | {"revision": "0123abcd"}).encode()

    with target.app.app_context():
        g.locale = "en"
        with pytest.raises(RestoreRefused, match="revision 0123abcd.*whose migrations end at 0123abcd"):
            restore(_rewritten(path, tmp_path, older))
    assert _empty(target)


def test_a_target_that_holds_data_is_refused(archive_of_source, target):
    path, _seen = archive_of_source
    with target.app.app_context():
        g.locale = "en"
        restore(path)
        before = _all_rows()
        with pytest.raises(RestoreRefused, match="not empty: the database has tables; the directory has entries"):
            restore(path)
        assert _all_rows() == before


def test_the_german_refusal(archive_of_source, target, tmp_path):
    path, _seen = archive_of_source
    truncated = tmp_path / "kaputt.tar"
    truncated.write_bytes(path.read_bytes()[:2000])
    with target.app.app_context():
        g.locale = "de"
        with pytest.raises(BackupDamaged, match="beschädigt oder abgeschnitten"):
            restore(truncated)


def test_the_restore_drill_passes_on_a_good_archive_and_is_on_the_betrieb_page(archive_of_source, populated):
    from console.ops import records
    path, seen = archive_of_source
    source, _root = populated
    with source.app.app_context():
        g.locale = "de"
        result = source.app.test_cli_runner().invoke(args=["backup", "drill", str(path)])
        assert result.exit_code == 0, result.output
        assert "Wiederherstellungsprobe bestanden" in result.output
        assert records.last("drill", ok_only=True).archive == str(path)
        db.session.remove()  # SQLite: the page's sign-in writes; this read must not hold the lock
        page = Browser(source.app)
        assert page.login(seen["staff_email"]).status_code == 303
        body = page.get("/ops/").get_data(as_text=True)
        assert "Letzte erfolgreiche Wiederherstellungsprobe:" in body and "noch keine" not in body.split(
            "Letzte erfolgreiche Wiederherstellungsprobe:")[1][:200]


def test_the_restore_drill_fails_on_a_damaged_archive_and_says_why(archive_of_source, populated, tmp_path):
    from console.ops import records
    path, _seen = archive_of_source
    source, _root = populated
    damaged = _rewritten(path, tmp_path, lambda name, data: data.replace(b"Oma", b"Opa")
                         if name == "directory.ldif" else data)
    with source.app.app_context():
        g.locale = "en"
        result = source.app.test_cli_runner().invoke(args=["backup", "drill", str(damaged)])
        assert result.exit_code == 1
        record = records.last("drill")
        assert not record.ok and "does not match the checksum" in record.detail


KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()


@pytest.fixture
def sealed_target(tmp_path):
    made = installation(tmp_path, "dsts", backup_key=KEY)
    yield made
    made.close()


def _sealed_copy(path: Path, into: Path) -> Path:
    copy = into / path.name
    sealing.seal(path, copy, KEY)
    return copy


def test_a_sealed_archive_is_encrypted_and_restores_with_its_key(archive_of_source, sealed_target, tmp_path):
    path, seen = archive_of_source
    sealed = _sealed_copy(path, tmp_path)
    raw = sealed.read_bytes()
    assert raw.startswith(sealing.MAGIC) and b"manifest.json" not in raw and REPORT_TITLE.encode() not in raw
    with sealed_target.app.app_context():
        g.locale = "en"
        restore(sealed)
        assert _all_rows() == seen["rows"]
    assert _stores(sealed_target.settings) == seen["files"]


def test_a_sealed_archive_without_the_key_or_with_another_is_refused(archive_of_source, target, tmp_path):
    path, _seen = archive_of_source
    sealed = _sealed_copy(path, tmp_path)
    with target.app.app_context():
        g.locale = "en"
        with pytest.raises(archive.BackupDamaged, match="is encrypted: set CONSOLE_BACKUP_KEY"):
            restore(sealed)
        target.app.extensions["settings"] = replace(target.settings, backup_key=OTHER_KEY)
        try:
            with pytest.raises(archive.BackupDamaged, match="made with another key"):
                restore(sealed)
        finally:
            target.app.extensions["settings"] = target.settings
    assert _empty(target)


def test_a_damaged_sealed_archive_is_refused(archive_of_source, sealed_target, tmp_path):
    path, _seen = archive_of_source
    sealed = _sealed_copy(path, tmp_path)
    data = bytearray(sealed.read_bytes())
    data[-5] ^= 0x01
    sealed.write_bytes(bytes(data))
    with sealed_target.app.app_context():
        g.locale = "en"
        with pytest.raises(archive.BackupDamaged, match="damaged or truncated"):
            restore(sealed)
    assert _empty(sealed_target)


def test_create_seals_with_the_key_and_lists_the_sealed_archive(populated, tmp_path):
    source, _root = populated
    with source.app.app_context():
        source.app.extensions["settings"] = replace(source.settings, backup_key=KEY)
        try:
            made = backup.create(tmp_path)
            assert sealing.is_sealed(made)
            assert [item.path for item in backup.existing(tmp_path)] == [made]
            assert archive.read_manifest(made)["revision"]
        finally:
            source.app.extensions["settings"] = source.settings

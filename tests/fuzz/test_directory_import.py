"""Phonebook imports: any bytes as CSV or vCard parse into rows (with per-row errors), never an exception; the
preview's normalisation refuses with RuleViolation only; every field survives an export and a re-import."""
from __future__ import annotations

from hypothesis import example, given, strategies as st

from console.directory import transfer
from console.directory.books import normalise
from console.directory.tree import ATTRIBUTES, NUMBER_FIELDS, Contact
from console.errors import RuleViolation
from tests.fuzz.conftest import bounded

CSV_LIKE = st.builds(
    lambda header, rows, sep: (sep.join(header) + "\r\n" + "\r\n".join(sep.join(r) for r in rows)).encode(
        "utf-8", "surrogatepass"),
    st.lists(st.sampled_from(["surname", "Vorname", "Firma", "Telefon", "Handy", "E-Mail", "x", "\"", ""]),
             max_size=5),
    st.lists(st.lists(st.text(max_size=20), max_size=6), max_size=5),
    st.sampled_from([";", ",", "\t", "|"]))
VCARD_LIKE = st.lists(st.one_of(
    st.sampled_from(["BEGIN:VCARD", "END:VCARD", "VERSION:3.0", "N:Muster;Erika;;;", "FN:Erika Muster",
                     "TEL;TYPE=CELL:0171 2345678", "TEL:tel:+49301234567", "item1.TEL;TYPE=\"WORK,FAX\":030 12",
                     "ORG:Firma\\;GmbH", "NOTE:a\\nb\\", " folded", "\tfolded", "EMAIL:x@y", "N:\\", ":", ""]),
    st.text(max_size=30)), max_size=12).map(lambda lines: "\r\n".join(lines).encode("utf-8", "surrogatepass"))
CONTENT = st.one_of(CSV_LIKE, VCARD_LIKE, st.binary(max_size=300))


@given(st.sampled_from(["csv", "vcard"]), CONTENT)
@example("csv", b"surname\r\n\"" + b"x" * 200_000)            # a field over the csv module's limit
@example("csv", b"\xef\xbb\xbfNachname;Telefon\r\nM\xfcller;030 1234567")   # BOM, then cp1252
@example("vcard", b"BEGIN:VCARD\r\nN:\\")
@example("csv", b"surname\x00;phone\r\na\x00;\x00")
@bounded(200)
def test_any_file_parses_into_rows_and_the_preview_normalises_or_refuses(file_format, content):
    rows = transfer.parse(file_format, content)
    assert [r.line for r in rows] == sorted(r.line for r in rows)
    for row in rows:
        assert row.contact is not None or row.errors
        if row.contact is None or row.errors:
            continue
        try:
            contact = normalise(row.contact, "DE")
        except RuleViolation as exc:
            assert exc.errors
            continue
        assert contact.surname or contact.company
        assert all("\x00" not in getattr(contact, n) for n in ATTRIBUTES)
        assert all(not getattr(contact, n) or getattr(contact, n).startswith("+") for n in NUMBER_FIELDS)
    assert transfer.unreadable(file_format, content) in (None, *(r.errors[0] for r in rows if r.unreadable))
    transfer.detect_format("upload.csv", content)


FIELD = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)   # the console stores no lone surrogate
CONTACTS = st.lists(st.builds(Contact, **{name: FIELD for name in ATTRIBUTES}), min_size=1, max_size=4)


def _stored(contact: Contact) -> dict:
    """A contact as the directory keeps it (books.normalise without the numbers): one line per field, whitespace
    collapsed; the note's line ends as \\n. What an export and an import do must not change that."""
    return {n: " ".join(getattr(contact, n).replace("\x00", "").split()) if n != "note" else
            getattr(contact, n).replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
            for n in ATTRIBUTES}


@given(CONTACTS)
@example([Contact(surname="=HYPERLINK(\"x\")", phone="+49301234567", note="'quoted")])
@example([Contact(surname="Muster", note="eins\rzwei")])
@example([Contact(surname=" '=x")])   # the CSV import took the user's quote off (restored after trimming)
@example([Contact(surname="\t=x", company="'")])
@example([Contact(company="0", fax=",")])   # the vCard import kept TEL's escapes ("\\,")
@bounded(150)
def test_every_field_survives_a_csv_and_a_vcard_round_trip(contacts):
    contacts = [c for c in contacts if c.surname.strip() or c.company.strip()] or [Contact(surname="Muster")]
    rows = transfer.parse("csv", transfer.export_csv(contacts).encode("utf-8"))
    assert [_stored(r.contact) for r in rows] == [_stored(c) for c in contacts]
    cards = transfer.parse("vcard", transfer.export_vcard(contacts).encode("utf-8"))
    assert [_stored(r.contact) for r in cards] == [_stored(c) for c in contacts]

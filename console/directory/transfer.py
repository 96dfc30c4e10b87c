"""CSV and vCard in and out of a phonebook: every Contact field survives a round trip.

Parsing never raises for a bad row: it yields ParsedRow objects with per-row errors, so the preview can show
them all. CSV headers are matched leniently (English field names, common German and Outlook column names).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from console.directory.tree import ATTRIBUTES, Contact

CSV_HEADER = list(ATTRIBUTES)  # given_name, surname, company, title, email, phone, mobile, home, fax, note
HEADER_ALIASES = {
    "given_name": {"given_name", "first name", "firstname", "vorname"},
    "surname": {"surname", "last name", "lastname", "nachname", "name"},
    "company": {"company", "organisation", "organization", "firma", "unternehmen"},
    "title": {"title", "job title", "position", "funktion"},
    "email": {"email", "e-mail", "e-mail address", "mail", "e-mail-adresse"},
    "phone": {"phone", "business phone", "telefon", "telefon geschäftlich", "telephone", "work"},
    "mobile": {"mobile", "mobile phone", "mobil", "handy", "mobiltelefon"},
    "home": {"home", "home phone", "privat", "telefon privat"},
    "fax": {"fax", "business fax", "fax geschäftlich", "telefax"},
    "note": {"note", "notes", "notiz", "notizen", "bemerkung"},
}
MAX_FIELD = 1000


@dataclass
class ParsedRow:
    line: int  # the row (CSV) or card (vCard) number, counted from 1, as people see it
    contact: Contact | None
    errors: list[str] = field(default_factory=list)  # the row cannot be imported
    warnings: list[str] = field(default_factory=list)  # imported, but something was left out
    unreadable: bool = False  # the file cannot be read from here on (the upload is refused)


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def detect_format(filename: str, content: bytes) -> str:
    head = decode(content[:2000]).lstrip().upper()
    if filename.lower().endswith((".vcf", ".vcard")) or head.startswith("BEGIN:VCARD"):
        return "vcard"
    return "csv"


def parse(file_format: str, content: bytes) -> list[ParsedRow]:
    return parse_vcard(decode(content)) if file_format == "vcard" else parse_csv(decode(content))


# --- CSV -------------------------------------------------------------------------------------------------

def _columns(header: list[str]) -> dict[int, str]:
    columns = {}
    for index, title in enumerate(header):
        key = title.strip().lower()
        for name, aliases in HEADER_ALIASES.items():
            if key in aliases and name not in columns.values():
                columns[index] = name
                break
    return columns


def parse_csv(text: str) -> list[ParsedRow]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, None)
    except csv.Error:
        return [_unreadable(1)]
    if not header:
        return [ParsedRow(1, None, [str(_l("The file is empty."))])]
    columns = _columns(header)
    if not {"surname", "company"} & set(columns.values()):
        return [ParsedRow(1, None, [str(_l("The first row must name the columns; a column \"surname\" or "
                                           "\"company\" is needed. Known columns: %(cols)s",
                                           cols=", ".join(CSV_HEADER)))])]
    rows = []
    number = 1
    while True:
        number += 1
        try:
            values = next(reader, None)
        except csv.Error:  # e.g. a field over the csv module's limit of 128 KB: that row and the rest are unread
            rows.append(_unreadable(number))
            break
        if values is None:
            break
        if not any(v.strip() for v in values):
            continue
        errors = []
        if len(values) > len(header):
            errors.append(str(_l("Row has %(n)d values but the header names %(m)d columns.",
                                 n=len(values), m=len(header))))
        # undone before trimming: neutralise() left " '=x" as it was, so its quote is the user's and must stay
        contact = Contact(**{name: _restore(values[i]).strip() for i, name in columns.items() if i < len(values)})
        errors += _field_errors(contact)
        rows.append(ParsedRow(number, contact, errors))
    return rows


def _unreadable(number: int) -> ParsedRow:
    return ParsedRow(number, None, [str(_l(
        "Row %(n)d cannot be read (a field longer than %(kb)d KB, or a stray quote); it and the rows after it are "
        "left out.", n=number, kb=csv.field_size_limit() // 1024))], unreadable=True)


def unreadable(file_format: str, content: bytes) -> str | None:
    """Why the file cannot be read as a whole, or None: checked before an upload is kept."""
    return next((row.errors[0] for row in parse(file_format, content) if row.unreadable), None)


def _field_errors(contact: Contact) -> list[str]:
    return [str(_l("%(field)s is longer than %(n)d characters.", field=name, n=MAX_FIELD))
            for name in ATTRIBUTES if len(getattr(contact, name)) > MAX_FIELD]


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…), @SUM(…), +cmd|…):
# OWASP's CSV-injection rule prefixes such a cell with "'" — and a cell that starts with "'" too, so that
# the import can take exactly one "'" off again. A phone number in E.164 (+4930…, digits only) is left as
# it is: as a formula it is only the number itself, and it stays readable and importable.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_E164 = re.compile(r"\+[1-9]\d{1,14}")


def neutralise(value: str) -> str:
    if _E164.fullmatch(value) or not value.startswith((*FORMULA_PREFIXES, "'")):
        return value
    return "'" + value


def _restore(value: str) -> str:
    """What neutralise() did, undone: one "'" before a formula prefix or another "'"."""
    return value[1:] if value[:1] == "'" and value[1:2] and value[1:2] in (*FORMULA_PREFIXES, "'") else value


def export_csv(contacts: list[Contact]) -> str:
    out = io.StringIO()
    # Every cell quoted: a spreadsheet that splits at ";" (German Excel) still sees one cell per value.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_HEADER)
    for contact in contacts:
        writer.writerow([neutralise(getattr(contact, name)) for name in CSV_HEADER])
    return out.getvalue()


# --- vCard (3.0 out; 2.1, 3.0 and 4.0 in) ---------------------------------------------------------------

TEL_TYPES = {"phone": "WORK,VOICE", "mobile": "CELL", "home": "HOME,VOICE", "fax": "WORK,FAX"}


def _escape(value: str) -> str:
    """RFC 6350 3.4: backslash, comma and semicolon escaped; every line break — CRLF, LF or a bare CR — is
    "\\n", so no value can start a line of its own (a bare CR used to end the line and begin an injected card)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 6350 3.2: lines of at most 75 octets, continued after CRLF and one space; never inside a
    UTF-8 sequence."""
    folded, current, size = [], [], 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > 75:
            folded.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    folded.append("".join(current))
    return folded


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def _split(value: str, sep: str) -> list[str]:
    parts, current, chars = [], [], iter(value)
    for char in chars:
        if char == "\\":
            current.append(char + next(chars, ""))
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [_unescape(p) for p in parts]


def export_vcard(contacts: list[Contact]) -> str:
    lines = []
    for c in contacts:
        lines += ["BEGIN:VCARD", "VERSION:3.0",
                  f"N:{_escape(c.surname)};{_escape(c.given_name)};;;", f"FN:{_escape(c.name)}"]
        if c.company:
            lines.append(f"ORG:{_escape(c.company)}")
        if c.title:
            lines.append(f"TITLE:{_escape(c.title)}")
        if c.email:
            lines.append(f"EMAIL;TYPE=INTERNET:{_escape(c.email)}")
        for name, types in TEL_TYPES.items():
            if getattr(c, name):
                lines.append(f"TEL;TYPE={types}:{_escape(getattr(c, name))}")
        if c.note:
            lines.append(f"NOTE:{_escape(c.note)}")
        lines.append("END:VCARD")
    return "".join(f"{part}\r\n" for line in lines for part in _fold(line))


def _tel_field(params: str) -> str:
    kinds = {p for part in params.upper().replace("TYPE=", "").replace('"', "").split(";") for p in part.split(",")}
    if "FAX" in kinds:
        return "fax"
    if "CELL" in kinds:
        return "mobile"
    if "HOME" in kinds:
        return "home"
    return "phone"


def parse_vcard(text: str) -> list[ParsedRow]:
    unfolded = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += raw[1:]
        else:
            unfolded.append(raw)
    rows, card, number, full_name = [], None, 0, ""
    for line in unfolded:
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        name, _, params = key.partition(";")
        name = name.upper().split(".")[-1]  # item1.TEL → TEL
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            number += 1
            card, full_name = ParsedRow(number, Contact()), ""
        elif card is None:
            continue
        elif name == "END":
            if not (card.contact.surname or card.contact.given_name or card.contact.company):
                card.contact.surname = full_name
            if not (card.contact.surname or card.contact.company or card.contact.given_name):
                card.errors.append(str(_l("The card has no name.")))
            card.errors += _field_errors(card.contact)
            rows.append(card)
            card = None
        elif name == "N":
            parts = _split(value, ";") + ["", ""]
            card.contact.surname, card.contact.given_name = parts[0].strip(), parts[1].strip()
        elif name == "FN":
            full_name = _unescape(value).strip()
        elif name == "ORG":
            card.contact.company = _split(value, ";")[0].strip()
        elif name == "TITLE":
            card.contact.title = _unescape(value).strip()
        elif name == "EMAIL" and not card.contact.email:
            card.contact.email = _unescape(value).strip()
        elif name == "NOTE":
            card.contact.note = _unescape(value).strip()
        elif name == "TEL":
            target = _tel_field(params)
            if value.lower().startswith("tel:"):
                value = value[4:]
            if not getattr(card.contact, target):   # unescaped like every value: export_vcard escapes TEL too
                setattr(card.contact, target, _unescape(value).strip())
            else:
                card.warnings.append(str(_l("More than one %(kind)s number; only the first is kept.", kind=target)))
    if card is not None:
        card.errors.append(str(_l("The card is not closed with END:VCARD.")))
        rows.append(card)
    return rows

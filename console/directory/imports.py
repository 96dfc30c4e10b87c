"""Importing a stored file into a book: a preview that changes nothing, then the confirmed run.

Entries created by an import get a uid derived from the import and the row ("i<import>-<row>"), and
duplicates are found by normalised number, so an import stopped halfway (a crash, a slapd restart) can be
run again: rows already written are recognised and skipped or updated, never created twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from console import clock
from console.directory import books
from console.directory.books import Book
from console.directory.connection import Directory
from console.directory.models import DirectoryImport
from console.directory.transfer import parse
from console.directory.tree import ATTRIBUTES, Contact
from console.errors import RuleViolation
from console.extensions import db

SKIP, UPDATE = "skip", "update"


def store(book: Book, login_id: int, filename: str, file_format: str, content: bytes) -> DirectoryImport:
    """Keep an uploaded file for `book` before anything is parsed (store first, then process). Flushes."""
    batch = DirectoryImport(pbx_id=book.pbx.id, owner_id=book.owner.id if book.owner else None, login_id=login_id,
                            filename=filename, content=content, file_format=file_format)
    db.session.add(batch)
    db.session.flush()
    return batch


@dataclass
class PreviewRow:
    line: int
    contact: Contact | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicate: Contact | None = None  # an entry already in the book with one of the same numbers
    repeats: int | None = None  # the earlier row of the same file with one of the same numbers
    identical: bool = False  # ... and the same values: the two rows are one entry

    @property
    def ok(self) -> bool:
        return self.contact is not None and not self.errors


def _row_uid(batch: DirectoryImport, line: int) -> str:
    return f"i{batch.id}-{line}"


def preview(directory: Directory, book: Book, batch: DirectoryImport) -> list[PreviewRow]:
    rows = []
    first_with: dict[str, PreviewRow] = {}  # number -> the first valid row having it
    for parsed in parse(batch.file_format, batch.content):
        row = PreviewRow(parsed.line, parsed.contact, list(parsed.errors), list(parsed.warnings))
        if row.contact is not None and not row.errors:
            try:
                books.normalise(row.contact, book.pbx.country)
            except RuleViolation as exc:
                row.errors += [f"{name}: {message}" if name else str(message)
                               for name, message in exc.errors.items()]
        if row.ok:
            earlier = next((first_with[n] for n in row.contact.numbers if n in first_with), None)
            if earlier is not None:
                row.repeats = earlier.line
                row.identical = earlier.contact.values() == row.contact.values()
            else:
                first_with.update({n: row for n in row.contact.numbers})
            row.duplicate = _existing(directory, book, batch, row)
        rows.append(row)
    return rows


def _existing(directory: Directory, book: Book, batch: DirectoryImport, row: PreviewRow) -> Contact | None:
    own = books.get_entry(directory, book, _row_uid(batch, row.repeats or row.line))
    if own is not None:
        return own
    matches = books.find_by_numbers(directory, book, row.contact.numbers)
    return matches[0] if matches else None


def apply(directory: Directory, book: Book, batch: DirectoryImport, duplicates: str) -> dict:
    """Write the valid rows; rows with errors are skipped with their reasons. Flushes the batch's result."""
    if duplicates not in (SKIP, UPDATE):
        raise RuleViolation(duplicates=_l("Choose whether duplicates are skipped or updated."))
    summary = {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "reasons": []}
    for row in preview(directory, book, batch):
        if not row.ok:
            summary["failed"] += 1
            summary["reasons"].append(f"{row.line}: {'; '.join(row.errors)}")
            continue
        existing = row.duplicate  # looked up now, against what is in LDAP at this moment
        if row.repeats is not None and existing is None:  # the earlier row's entry, written moments ago
            existing = books.get_entry(directory, book, _row_uid(batch, row.repeats)) or \
                next(iter(books.find_by_numbers(directory, book, row.contact.numbers)), None)
        if existing is not None:
            if duplicates == SKIP or row.identical or existing.read_only:
                summary["skipped"] += 1
                continue
            merged = Contact(uid=existing.uid, source=existing.source,
                             **{n: getattr(row.contact, n) or getattr(existing, n) for n in ATTRIBUTES})
            books.save_entry(directory, book, merged)
            summary["updated"] += 1
            continue
        row.contact.uid = _row_uid(batch, row.line)
        books.save_entry(directory, book, row.contact)
        summary["created"] += 1
    batch.applied_at = clock.now()
    batch.duplicates = duplicates
    batch.result = json.dumps(summary, ensure_ascii=False)
    return summary

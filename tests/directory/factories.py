"""Phonebook objects for the route-enumerating tests (tests/test_tenancy.py, tests/test_pages.py)."""
from __future__ import annotations

from console.auth import tokens
from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.models import DirectoryImport, DirectoryToken
from console.directory.tree import Contact
from console.extensions import db


def directory_ids(customer, tag: str = "") -> dict:
    """URL parameters of the directory routes, naming objects of this customer."""
    pbx = customer.pbx
    entry = books.save_entry(get_directory(), Book(pbx), Contact(surname=f"Eintrag{tag}", phone="030 1234567"))
    batch = DirectoryImport(pbx_id=pbx.id, filename="x.csv", file_format="csv", content=b"surname\nX\n")
    db.session.add(batch)
    token, _ = tokens.issue(DirectoryToken, "dir_", pbx=pbx, name=f"Token{tag}")
    db.session.flush()
    return {"pbx_id": pbx.id, "book_kind": "shared", "entry_id": entry.uid, "fmt": "csv", "import_id": batch.id,
            "lookup_token_id": token.id}

"""The book a request names, loaded for the signed-in login (shared by the phonebook and import pages)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from console.accounts.models import Pbx
from console.auth.scope import get_or_404
from console.directory import books
from console.directory.books import Book


def load_book(pbx_id: int, kind: str) -> Book:
    """The book, if the login may see it: the PBX within its tenancy; a private book only for its owner."""
    pbx = get_or_404(Pbx, pbx_id, current_user)
    book = books.book_for(current_user, pbx, kind)
    if book is None:
        abort(404)
    return book


def require_edit(book: Book) -> None:
    if not books.can_edit(current_user, book):
        abort(403)

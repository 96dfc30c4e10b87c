"""Importing CSV/vCard into a book: upload (stored first), preview with per-row errors, confirm."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.auth.permissions import requires
from console.auth.scope import get_or_404
from console.bounds import clean_filename
from console.directory import books, imports, transfer
from console.directory.blueprint import bp
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.forms import ConfirmImportForm, ImportForm
from console.directory.loading import load_book, require_edit
from console.directory.models import DirectoryImport
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, render

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.route("/pbx/<int:pbx_id>/directory/<book_kind>/import", methods=["GET", "POST"])
@requires("manage", "shared_book", "private_book")
def import_upload(pbx_id: int, book_kind: str):
    book = load_book(pbx_id, book_kind)
    require_edit(book)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(MAX_IMPORT_BYTES + 1)
        filename = clean_filename(upload.filename, fallback="upload", max_length=255)
        file_format = transfer.detect_format(filename, content)
        if len(content) > MAX_IMPORT_BYTES:
            form.file.errors = [_("The file is larger than 5 MB; split it into several files.")]
        elif problem := transfer.unreadable(file_format, content):
            form.file.errors = [problem]
        else:
            batch = imports.store(book, current_user.id, filename, file_format, content)
            db.session.commit()  # stored before anything is parsed
            return redirect(url_for(".import_preview", import_id=batch.id), 303)
    return render("directory/import.html", form=form, book=book)


def _load_import(import_id: int) -> tuple[DirectoryImport, Book]:
    batch = get_or_404(DirectoryImport, import_id, current_user)
    if batch.login_id != current_user.id:  # an upload is its uploader's business
        abort(404)
    book = load_book(batch.pbx_id, books.PRIVATE if batch.owner_id else books.SHARED)
    if book.owner and book.owner.id != batch.owner_id:
        abort(404)
    require_edit(book)
    return batch, book


@bp.route("/directory/imports/<int:import_id>", methods=["GET", "POST"])
@requires("manage", "shared_book", "private_book")
def import_preview(import_id: int):
    batch, book = _load_import(import_id)
    form = ConfirmImportForm()
    directory = get_directory()
    if batch.applied_at is None and form.validate_on_submit():
        try:
            summary = imports.apply(directory, book, batch, form.duplicates.data)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Import finished: %(c)d created, %(u)d updated, %(s)d duplicates skipped, %(f)d rows with "
                    "errors left out.", c=summary["created"], u=summary["updated"], s=summary["skipped"],
                    f=summary["failed"]), "success")
            return redirect(url_for(".import_preview", import_id=batch.id), 303)
    rows = imports.preview(directory, book, batch) if batch.applied_at is None else []
    return render("directory/import_preview.html", form=form, batch=batch, book=book, rows=rows,
                  result=json.loads(batch.result) if batch.result else None,
                  valid=sum(1 for r in rows if r.ok), duplicates=sum(1 for r in rows if r.ok and r.duplicate),
                  repeats=sum(1 for r in rows if r.ok and r.repeats))



"""Phonebook pages: the shared and private books, search, create/edit/delete, export.

Imports are in import_views.py, the PBX settings and tokens in settings_views.py (same blueprint).
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.accounts.models import Pbx
from console.auth.models import Role
from console.auth.permissions import can, requires
from console.auth.scope import scoped
from console.directory import books, transfer
from console.directory.blueprint import bp
from console.directory.books import Book
from console.directory.connection import DirectoryUnavailable, get_directory
from console.directory.forms import EntryForm
from console.directory.loading import load_book, require_edit
from console.directory.tree import ATTRIBUTES, Contact
from console.errors import RuleViolation
from console.extensions import db
from console.web.render import apply_errors, confirm_page, render

SHOWN = 200  # a page shows this many matches; people narrow a big book by searching


@bp.errorhandler(DirectoryUnavailable)
def directory_unavailable(exc):
    current_app.logger.error("directory unavailable: %s", exc)
    return render_template("directory/unavailable.html"), 503


@bp.app_context_processor
def _pbx_phonebook_settings():
    """For the customer page: what to enter on the PBX (computed from the configuration, no LDAP round trip)."""
    from console.directory.pbx_settings import innovaphone_settings
    return {"pbx_phonebook_settings": lambda pbx: innovaphone_settings(get_directory(), pbx)}


def book_url(book: Book) -> str:
    return url_for("directory.book", pbx_id=book.pbx.id, book_kind=book.kind)


@bp.get("/directory/")
@requires("view", "directory")
def index():
    pbxs = list(db.session.scalars(scoped(Pbx, current_user).order_by(Pbx.name).limit(500)))
    return render("directory/index.html", pbxs=pbxs, own_pbx=current_user.phone_user.pbx
                  if current_user.role is Role.END_USER and current_user.phone_user else None)


@bp.get("/pbx/<int:pbx_id>/directory/<book_kind>")
@requires("view", "directory")
def book(pbx_id: int, book_kind: str):
    book = load_book(pbx_id, book_kind)
    query = request.args.get("q", "")
    entries = books.list_entries(get_directory(), book, query, limit=SHOWN + 1)
    return render("directory/book.html", "directory/_rows.html", book=book, entries=entries[:SHOWN],
                  more=len(entries) > SHOWN, can_edit=books.can_edit(current_user, book), query=query,
                  can_see_settings=can(current_user, "view", "directory_settings"))


@bp.route("/pbx/<int:pbx_id>/directory/<book_kind>/new", methods=["GET", "POST"])
@requires("manage", "shared_book", "private_book")
def new_entry(pbx_id: int, book_kind: str):
    book = load_book(pbx_id, book_kind)
    require_edit(book)
    return _entry_form(book, None)


@bp.route("/pbx/<int:pbx_id>/directory/<book_kind>/<entry_id>/edit", methods=["GET", "POST"])
@requires("manage", "shared_book", "private_book")
def edit_entry(pbx_id: int, book_kind: str, entry_id: str):
    book = load_book(pbx_id, book_kind)
    require_edit(book)
    entry = books.get_entry(get_directory(), book, entry_id) or abort(404)
    if entry.read_only:
        flash(_("This entry comes from Exchange and can only be changed there."), "error")
        return redirect(book_url(book), 303)
    return _entry_form(book, entry)


def _entry_form(book: Book, entry: Contact | None):
    form = EntryForm(data=entry.values() if entry else None)
    if form.validate_on_submit():
        contact = Contact(uid=entry.uid if entry else "", source=entry.source if entry else "console",
                          **{name: (getattr(form, name).data or "") for name in ATTRIBUTES})
        try:
            contact = books.save_entry(get_directory(), book, contact)
        except RuleViolation as exc:
            apply_errors(form, exc)
        else:
            flash(_("%(name)s saved.", name=contact.name), "success")
            return redirect(book_url(book), 303)
    title = _("Edit %(name)s", name=entry.name) if entry else (
        _("New entry in the private phonebook") if book.owner else
        _("New entry in the shared phonebook of %(pbx)s", pbx=book.pbx.name))
    return render("form.html", form=form, title=title, cancel=book_url(book),
                  hint=_("Numbers are saved in international form (+49…) so the PBX shows the caller's name."))


@bp.route("/pbx/<int:pbx_id>/directory/<book_kind>/<entry_id>/delete", methods=["GET", "POST"])
@requires("manage", "shared_book", "private_book")
def delete_entry(pbx_id: int, book_kind: str, entry_id: str):
    book = load_book(pbx_id, book_kind)
    require_edit(book)
    directory = get_directory()
    entry = books.get_entry(directory, book, entry_id) or abort(404)
    if request.method == "GET":
        return confirm_page(title=_("Delete %(name)s?", name=entry.name), what=_(
            "The entry %(name)s leaves the phonebook: the PBX no longer shows this name for its numbers.",
            name=entry.name), submit=_("Delete entry"), back=book_url(book))
    try:
        books.delete_entry(directory, book, entry)
    except RuleViolation as exc:
        flash(exc.text(), "error")
    else:
        flash(_("%(name)s deleted.", name=entry.name), "success")
    return redirect(book_url(book), 303)


@bp.get("/pbx/<int:pbx_id>/directory/<book_kind>/export/<fmt>")
@requires("view", "directory")
def export(pbx_id: int, book_kind: str, fmt: str):
    book = load_book(pbx_id, book_kind)
    if fmt not in ("csv", "vcf"):
        abort(404)
    entries = books.list_entries(get_directory(), book)
    name = f"{book.pbx.name}-{'privat' if book.owner else 'telefonbuch'}"
    if fmt == "csv":
        body, mimetype = "\ufeff" + transfer.export_csv(entries), "text/csv"  # BOM: Excel reads UTF-8
    else:
        body, mimetype = transfer.export_vcard(entries), "text/vcard"
    # content_type is sent as given; mimetype= would get a second "; charset=utf-8" from werkzeug
    return Response(body, content_type=f"{mimetype}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


"""Private books reach the phone: the PBX's one URL names a caller from the called user's private book, for
that user only (issue 11, point 3) — checked with ldapsearch exactly as the PBX asks, %n and %u substituted."""
from __future__ import annotations

import ldap
import pytest

from console.accounts import services as accounts
from console.auth.models import Role
from console.directory import books, tree
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.pbx_settings import innovaphone_settings, set_reader_password
from console.directory.tree import Contact
from console.extensions import db
from tests.directory.pbx_client import as_the_pbx, ldapsearch

MAMA, PAPA, FIRMA = "49221987654", "4989111222", "4930777888"


@pytest.fixture
def phone(pbx, make_user):
    """Anna (extension 21) and Bernd (22) with a private entry each; a shared entry; what the PBX has."""
    directory = get_directory()
    anna, bernd = make_user(pbx.customer, "21", first_name="Anna"), make_user(pbx.customer, "22", first_name="Bernd")
    books.save_entry(directory, Book(pbx, anna), Contact(surname="Mama", home="0221 987654"))
    books.save_entry(directory, Book(pbx, bernd), Contact(surname="Papa", mobile="089 111222"))
    books.save_entry(directory, Book(pbx), Contact(company="Firma", phone="030 777888"))
    password = set_reader_password(directory, pbx)
    url = innovaphone_settings(directory, pbx)["reverse_lookup_url"]
    return {"anna": anna, "bernd": bernd, "ask": lambda number, user: as_the_pbx(url, password, number, user),
            "url": url, "password": password}


def test_a_private_entry_names_the_caller_for_its_owner_only(phone):
    ask = phone["ask"]
    assert ask(MAMA, "21") == ["Mama"]
    assert ask(MAMA, "22") == []
    assert ask(PAPA, "22") == ["Papa"]
    assert ask(PAPA, "21") == []
    assert ask(FIRMA, "21") == ["Firma"] and ask(FIRMA, "22") == ["Firma"]
    assert ask(MAMA, "23") == []  # a user without a private book: the shared book only
    for hostile in ("*", "21,ou=private", "2*", "22)(cn=*", "\\2a", "", "21\\", "ou=21"):
        assert ask(MAMA, hostile) == [] and ask(PAPA, hostile) == [], hostile


def test_the_page_and_the_cli_give_the_url_the_pbx_uses(app, pbx, phone, make_login, signed_in):
    page = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer)).get(
        f"/pbx/{pbx.id}/directory/settings").get_data(as_text=True)
    assert phone["url"].replace("&", "&amp;") in page and "%u" in page
    cli = app.test_cli_runner().invoke(args=["directory", "ldap-url", "--pbx", pbx.name])
    assert cli.stdout.strip() == phone["url"]
    assert "%u" in cli.stderr and "extension" in cli.stderr


def test_the_book_follows_its_owner_to_a_new_extension(pbx, phone, make_user):
    ask, anna = phone["ask"], phone["anna"]
    accounts.save_phone_user(anna, pbx=pbx, site=anna.site, first_name="Anna", last_name=anna.last_name,
                             extension="25", package=anna.package)
    db.session.commit()  # the private books follow after the commit
    assert ask(MAMA, "25") == ["Mama"] and ask(MAMA, "21") == []
    assert [c.name for c in books.list_entries(get_directory(), Book(pbx, anna))] == ["Mama"]
    carl = make_user(pbx.customer, "21", first_name="Carl")  # Anna's old extension, handed on
    db.session.commit()
    assert books.list_entries(get_directory(), Book(pbx, carl)) == [] and ask(MAMA, "21") == []


def test_two_users_who_swap_extensions_keep_their_books(pbx, phone):
    ask, anna, bernd = phone["ask"], phone["anna"], phone["bernd"]
    for user, ext in ((anna, "29"), (bernd, "21"), (anna, "22")):
        accounts.save_phone_user(user, pbx=pbx, site=user.site, first_name=user.first_name,
                                 last_name=user.last_name, extension=ext, package=user.package)
    db.session.commit()
    assert ask(MAMA, "22") == ["Mama"] and ask(PAPA, "21") == ["Papa"]
    assert ask(MAMA, "21") == [] and ask(PAPA, "22") == []


def test_a_deleted_users_book_goes_with_them_and_nobody_inherits_it(pbx, phone, make_user):
    ask = phone["ask"]
    accounts.delete_phone_user(phone["anna"])
    db.session.commit()
    assert ask(MAMA, "21") == []
    newcomer = make_user(pbx.customer, "21", first_name="Neu")
    db.session.commit()
    assert books.list_entries(get_directory(), Book(pbx, newcomer)) == [] and ask(MAMA, "21") == []
    directory = get_directory()
    assert ldapsearch(directory.config.url, tree.reader_dn(directory.base_dn, pbx.name), phone["password"],
                      tree.pbx_dn(directory.base_dn, pbx.name), flt="(sn=Mama)") == []


def test_a_stale_book_left_by_an_outage_is_never_shown_to_the_next_holder(pbx, phone, make_user, monkeypatch):
    """The directory was down when Anna was deleted: the console's checks and the job repair it."""
    from console.directory import jobs, private
    monkeypatch.setattr(private, "reconcile", lambda *a, **k: (_ for _ in ()).throw(
        private.DirectoryUnavailable("down")))
    accounts.delete_phone_user(phone["anna"])
    db.session.commit()
    newcomer = make_user(pbx.customer, "21", first_name="Neu")
    db.session.commit()
    monkeypatch.undo()
    assert phone["ask"](MAMA, "21") == ["Mama"]  # still there: nothing could remove it yet
    assert books.list_entries(get_directory(), Book(pbx, newcomer)) == []  # the console checks the owner first
    assert phone["ask"](MAMA, "21") == []  # … and removed the book
    books.save_entry(get_directory(), Book(pbx, phone["bernd"]), Contact(surname="Onkel", phone="040 1212121"))
    get_directory().modify(tree.private_dn(get_directory().base_dn, pbx.name, "22"),
                           [(ldap.MOD_REPLACE, "description", [b"phone-user 999999"])])  # a container naming a stranger
    jobs.reconcile_private_books()
    assert phone["ask"]("49401212121", "22") == []


def test_books_from_before_keep_their_entries_and_move_under_the_extension(pbx, phone):
    """Private books used to be ou=user-<id>: the first check moves them where the PBX looks."""
    directory = get_directory()
    anna = phone["anna"]
    new_dn = tree.private_dn(directory.base_dn, pbx.name, anna.extension)
    directory.rename(new_dn, f"ou=user-{anna.id}")
    directory.modify(f"ou=user-{anna.id},{tree.private_root_dn(directory.base_dn, pbx.name)}",
                     [(ldap.MOD_DELETE, "description", None)])
    assert phone["ask"](MAMA, "21") == []
    assert [c.name for c in books.list_entries(directory, Book(pbx, anna))] == ["Mama"]
    assert phone["ask"](MAMA, "21") == ["Mama"]

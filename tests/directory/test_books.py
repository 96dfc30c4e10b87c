"""Entries in a real slapd: create, edit, delete, search; numbers normalised; escaped filters; reconnect."""
from __future__ import annotations

import ldap
import pytest
from ldapurl import LDAPUrl

from console.directory import books, tree
from console.directory.books import Book
from console.directory.pbx_settings import innovaphone_settings, set_reader_password
from console.directory.tree import Contact
from console.errors import RuleViolation

GERMAN_WAYS = ["030 1234567", "030/1234567", "(030) 1234567", "030-123 45 67", "030 123 45 67",
               "+49 30 1234567", "+49 (0)30 1234567", "0049 30 1234567", "0049 (0) 30 / 123 45-67", "+49-30-1234567"]


def test_create_edit_delete_search(directory, pbx):
    book = Book(pbx)
    saved = books.save_entry(directory, book, Contact(given_name="Anna", surname="Schmidt", company="Bäckerei Korn",
                                                      phone="030 5551234", email="anna@korn.example"))
    assert saved.phone == "+49305551234"
    assert [c.name for c in books.list_entries(directory, book, "schmi")] == ["Anna Schmidt"]
    assert [c.name for c in books.list_entries(directory, book, "Korn")] == ["Anna Schmidt"]
    assert [c.name for c in books.list_entries(directory, book, "(030) 555-1234")] == ["Anna Schmidt"]
    assert books.list_entries(directory, book, "Meier") == []

    entry = books.get_entry(directory, book, saved.uid)
    entry.surname, entry.mobile = "Schmidt-Lange", "0171 2345678"
    books.save_entry(directory, book, entry)
    again = books.get_entry(directory, book, saved.uid)
    assert (again.name, again.mobile, again.email) == ("Anna Schmidt-Lange", "+491712345678", "anna@korn.example")

    books.delete_entry(directory, book, again)
    assert books.get_entry(directory, book, saved.uid) is None
    assert books.list_entries(directory, book) == []


def test_an_update_leaves_attributes_it_does_not_manage_alone(directory, pbx):
    book = Book(pbx)
    saved = books.save_entry(directory, book, Contact(surname="Weber", phone="089 123456"))
    directory.modify(saved.dn, [(ldap.MOD_ADD, "roomNumber", [b"4.12"])])
    saved.company = "Weber KG"
    books.save_entry(directory, book, saved)
    assert directory.read(saved.dn)["roomNumber"] == [b"4.12"]


def test_bad_numbers_are_refused_with_the_field_named(directory, pbx):
    with pytest.raises(RuleViolation) as refused:
        books.save_entry(directory, Book(pbx), Contact(surname="X", phone="12", mobile="abc"))
    assert set(refused.value.errors) == {"phone", "mobile"}
    assert books.list_entries(directory, Book(pbx)) == []


@pytest.mark.parametrize("written", GERMAN_WAYS)
def test_ten_german_ways_are_found_by_the_pbx_reverse_lookup(directory, pbx, written):
    book = Book(pbx)
    saved = books.save_entry(directory, book, Contact(given_name="Jörg", surname="Krüger", phone=written))
    assert saved.phone == "+49301234567"
    password = set_reader_password(directory, pbx)

    # Exactly what the PBX does: take the URL from the settings page, put the number without "+" for %n.
    settings = innovaphone_settings(directory, pbx)
    url = LDAPUrl(settings["reverse_lookup_url"].replace("%n", "49301234567"))
    pbx_conn = ldap.initialize(f"{url.urlscheme}://{url.hostport}")
    pbx_conn.simple_bind_s(settings["bind_dn"], password)
    found = pbx_conn.search_s(url.dn, url.scope, url.filterstr, url.attrs)
    assert [attrs["cn"] for _, attrs in found] == [[b"J\xc3\xb6rg Kr\xc3\xbcger"]]
    assert books.lookup_name(directory, pbx, "0049301234567") == "Jörg Krüger"


def test_the_reader_account_of_one_pbx_cannot_read_another(directory, make_customer):
    mine, other = make_customer().pbx, make_customer().pbx
    books.save_entry(directory, Book(other), Contact(surname="Geheim", phone="040 1234567"))
    password = set_reader_password(directory, mine)
    conn = ldap.initialize(directory.config.url)
    conn.simple_bind_s(tree.reader_dn(directory.base_dn, mine.name), password)
    books.save_entry(directory, Book(mine), Contact(surname="Eigen", phone="040 7654321"))
    assert len(conn.search_s(tree.shared_dn(directory.base_dn, mine.name), ldap.SCOPE_ONELEVEL,
                             "(objectClass=*)")) == 1
    with pytest.raises(ldap.NO_SUCH_OBJECT):  # the ACL hides the other PBX's tree completely
        conn.search_s(tree.shared_dn(directory.base_dn, other.name), ldap.SCOPE_SUBTREE, "(objectClass=*)")


def test_private_entries_are_found_only_for_their_owner(directory, pbx, make_user):
    owner, colleague = make_user(pbx.customer), make_user(pbx.customer)
    books.save_entry(directory, Book(pbx, owner), Contact(surname="Mama", phone="0221 987654"))
    assert books.lookup_name(directory, pbx, "0221 987654", owner) == "Mama"
    assert books.lookup_name(directory, pbx, "0221 987654", colleague) is None
    assert books.lookup_name(directory, pbx, "0221 987654") is None
    assert books.list_entries(directory, Book(pbx)) == []
    assert books.list_entries(directory, Book(pbx, colleague)) == []


def test_lookup_prefers_the_private_book_and_console_entries(directory, pbx, make_user):
    owner = make_user(pbx.customer)
    books.save_entry(directory, Book(pbx), Contact(surname="Zentrale Firma", phone="030 7654321",
                                                   source="exchange"), allow_read_only=True)
    assert books.lookup_name(directory, pbx, "+49 30 7654321") == "Zentrale Firma"
    books.save_entry(directory, Book(pbx), Contact(given_name="Bernd", surname="Firma", phone="030 7654321"))
    assert books.lookup_name(directory, pbx, "+49 30 7654321") == "Bernd Firma"
    books.save_entry(directory, Book(pbx, owner), Contact(surname="Bernd privat", phone="030 7654321"))
    assert books.lookup_name(directory, pbx, "+49 30 7654321", owner) == "Bernd privat"


@pytest.mark.parametrize("attack", ["*", "(", ")", "\\", "\x00", "*)(objectClass=*", "a*)(|(cn=*",
                                    "\\2a", "*\x00*"])
def test_filter_injection_finds_nothing_it_should_not(directory, pbx, make_user, attack):
    owner = make_user(pbx.customer)
    books.save_entry(directory, Book(pbx), Contact(surname="Öffentlich", phone="030 1112223"))
    books.save_entry(directory, Book(pbx, owner), Contact(surname="Privat", phone="030 3332221"))
    assert books.list_entries(directory, Book(pbx), attack) == []
    assert books.lookup_name(directory, pbx, attack) is None
    assert books.lookup_name(directory, pbx, attack, owner) is None


def test_a_company_only_entry_keeps_its_fields(directory, pbx):
    saved = books.save_entry(directory, Book(pbx), Contact(company="Stadtwerke", phone="030 22334455"))
    entry = books.get_entry(directory, Book(pbx), saved.uid)
    assert (entry.surname, entry.company, entry.name) == ("", "Stadtwerke", "Stadtwerke")


def test_large_books_are_read_completely_with_paged_results(directory, pbx):
    book = Book(pbx)
    books.ensure_book(directory, book)
    for n in range(1205):  # more than the server's size limit (1000) and two pages
        contact = Contact(uid=f"bulk{n}", surname=f"Nummer {n}", phone=f"+4930{5000000 + n}")
        directory.add(tree.entry_dn(book.dn(directory), contact.uid), list(contact.to_ldap().items()))
    assert len(books.list_entries(directory, book)) == 1205


def test_slapd_restarted_in_the_middle_of_work_reconnects(directory, pbx, slapd):
    book = Book(pbx)
    books.save_entry(directory, book, Contact(surname="Vorher", phone="030 4445556"))
    slapd.restart()
    assert books.lookup_name(directory, pbx, "030 4445556") == "Vorher"
    books.save_entry(directory, book, Contact(surname="Nachher", phone="030 4445557"))
    assert [c.name for c in books.list_entries(directory, book)] == ["Nachher", "Vorher"]

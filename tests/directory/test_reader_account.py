"""The PBX's bind account belongs to stimme operations: only staff set or rotate its password (issue 11, 2)."""
from __future__ import annotations

import pytest

from console.auth.models import Role
from console.directory import books, tree
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.pbx_settings import set_reader_password
from console.directory.tree import Contact
from tests.directory.pbx_client import binds, ldapsearch


@pytest.fixture
def setup(pbx, make_user, make_login):
    directory = get_directory()
    anna = make_user(pbx.customer, first_name="Anna")
    books.save_entry(directory, Book(pbx, anna), Contact(surname="Geheim", mobile="0171 5556667"))
    return {"pbx": pbx, "password": set_reader_password(directory, pbx),
            "reader": tree.reader_dn(directory.base_dn, pbx.name), "url": directory.config.url,
            "admin": make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer),
            "reseller": make_login(Role.RESELLER, reseller=pbx.customer.reseller),
            "staff": make_login(Role.STAFF_SUPPORT)}


@pytest.mark.parametrize("who", ["admin", "reseller"])
def test_customer_admins_and_resellers_see_the_url_but_cannot_set_the_password(setup, signed_in, who):
    browser = signed_in(setup[who])
    page = browser.get(f"/pbx/{setup['pbx'].id}/directory/settings").get_data(as_text=True)
    assert 'id="reverse-lookup-url"' in page and setup["reader"] in page
    assert "reader-password" not in page  # no button
    response = browser.post(f"/pbx/{setup['pbx'].id}/directory/reader-password")
    assert response.status_code == 403
    assert 'id="new-password"' not in response.get_data(as_text=True)
    assert binds(setup["url"], setup["reader"], setup["password"])  # the PBX keeps looking names up


def test_staff_set_a_new_password_that_the_pbx_binds_with(setup, signed_in):
    browser = signed_in(setup["staff"])
    page = browser.get(f"/pbx/{setup['pbx'].id}/directory/settings").get_data(as_text=True)
    assert "reader-password" in page
    response = browser.post(f"/pbx/{setup['pbx'].id}/directory/reader-password")
    assert response.status_code == 200
    new = response.get_data(as_text=True).split('id="new-password">')[1].split("<")[0]
    assert binds(setup["url"], setup["reader"], new)
    assert not binds(setup["url"], setup["reader"], setup["password"])
    assert [a["cn"] for _, a in ldapsearch(setup["url"], setup["reader"], new,
                                           tree.pbx_dn(get_directory().base_dn, setup["pbx"].name),
                                           flt="(sn=Geheim)")] == [[b"Geheim"]]


def test_the_cli_prints_no_password_with_the_url_and_rotates_it_on_request(app, setup):
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["directory", "ldap-url", "--pbx", setup["pbx"].name])
    assert shown.exit_code == 0 and "%u" in shown.stdout
    rotated = runner.invoke(args=["directory", "reader-password", "--pbx", setup["pbx"].name])
    assert rotated.exit_code == 0
    new = rotated.stdout.strip()
    assert binds(setup["url"], setup["reader"], new) and not binds(setup["url"], setup["reader"], setup["password"])
    again = runner.invoke(args=["directory", "ldap-url", "--pbx", setup["pbx"].name])
    assert new not in again.output and setup["password"] not in again.output
    missing = runner.invoke(args=["directory", "reader-password", "--pbx", "nirgends.example"])
    assert missing.exit_code != 0 and "no PBX named" in missing.output

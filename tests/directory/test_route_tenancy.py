"""The directory's routes walked as the other tenant: another user of the same PBX, the customer's admin, its
reseller and staff against one user's private book; another PBX's token against this PBX's books."""
from __future__ import annotations

import re

import pytest

from console.auth import tokens
from console.auth.models import Role
from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.models import DirectoryImport, DirectoryToken
from console.directory.tree import Contact
from console.extensions import db


@pytest.fixture
def anna_book(pbx, make_user, make_login):
    anna, bernd = make_user(pbx.customer, "21", first_name="Anna"), make_user(pbx.customer, "22", first_name="Bernd")
    entry = books.save_entry(get_directory(), Book(pbx, anna), Contact(surname="Geheimnummer", mobile="0171 5556667"))
    anna_login = make_login(Role.END_USER, phone_user=anna)
    batch = DirectoryImport(pbx_id=pbx.id, owner_id=anna.id, login_id=anna_login.id, filename="p.csv",
                            file_format="csv", content=b"surname,mobile\nEingeschleust,0171 1234567\n")
    db.session.add(batch)
    db.session.flush()
    others = {"bernd": make_login(Role.END_USER, phone_user=bernd),
              "admin": make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer),
              "reseller": make_login(Role.RESELLER, reseller=pbx.customer.reseller),
              "staff": make_login(Role.STAFF_ADMIN)}
    return {"anna": anna, "entry": entry, "batch": batch, "others": others}


def _private_routes(app, pbx, ids):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("directory.") or "book_kind" not in rule.arguments and \
                "import_id" not in rule.arguments:
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


@pytest.mark.parametrize("who", ["bernd", "admin", "reseller", "staff"])
def test_nobody_but_its_owner_reaches_a_private_book(app, pbx, anna_book, signed_in, who):
    browser = signed_in(anna_book["others"][who])
    ids = {"pbx_id": pbx.id, "book_kind": "private", "entry_id": anna_book["entry"].uid, "fmt": "csv",
           "import_id": anna_book["batch"].id}
    walked = 0
    for method, url in _private_routes(app, pbx, ids):
        response = browser.request(method, url, data={"csrf_token": browser.csrf, "surname": "Übernommen",
                                                      "duplicates": "update"})
        body = response.get_data(as_text=True)
        # ".../private" is the signed-in user's own book: for Bernd his own, for everyone else none at all
        names_anna = anna_book["entry"].uid in url or "/imports/" in url
        if names_anna or ("/private" in url and who != "bernd"):
            assert response.status_code in (403, 404), f"{who} {method} {url} → {response.status_code}"
        assert "Geheimnummer" not in body, f"{who} {method} {url} shows Anna's entry"
        walked += 1
    assert walked >= 8
    assert [c.name for c in books.list_entries(get_directory(), Book(pbx, anna_book["anna"]))] == ["Geheimnummer"]
    assert db.session.get(DirectoryImport, anna_book["batch"].id).applied_at is None


def test_another_pbxs_token_finds_nothing_of_this_pbx(app, pbx, anna_book, make_customer, make_user):
    other = make_customer().pbx
    make_user(other.customer, "21")  # the same extension as Anna, on another PBX
    books.save_entry(get_directory(), Book(pbx), Contact(surname="Zentrale", phone="030 4445556"))
    _, token = tokens.issue(DirectoryToken, "dir_", pbx=other, name="PBX")
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    for query in ("number=0171 5556667&extension=21", "number=0171 5556667", "number=030 4445556",
                  f"number=0171 5556667&extension=21&pbx_id={pbx.id}"):
        answer = client.get(f"/api/v1/directory/lookup?{query}", headers=auth)
        assert (answer.status_code, answer.json["name"]) == (404, None), query
    _, own = tokens.issue(DirectoryToken, "dir_", pbx=pbx, name="PBX")
    answer = client.get("/api/v1/directory/lookup?number=0171 5556667&extension=21",
                        headers={"Authorization": f"Bearer {own}"})
    assert answer.json["name"] == "Geheimnummer"  # so the refusals above can fail

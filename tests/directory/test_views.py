"""The phonebook pages, the lookup API and the CLI, as people and PBXs use them."""
from __future__ import annotations

import io

import pytest

from console.auth.models import Role
from console.directory import books
from console.directory.books import Book
from console.directory.connection import get_directory
from console.directory.tree import Contact


@pytest.fixture
def people(pbx, make_user, make_login):
    anna, bernd = make_user(pbx.customer, first_name="Anna"), make_user(pbx.customer, first_name="Bernd")
    return {
        "admin": make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer),
        "staff": make_login(Role.STAFF_ADMIN),
        "anna": make_login(Role.END_USER, phone_user=anna),
        "bernd": make_login(Role.END_USER, phone_user=bernd),
    }


def _shared(pbx) -> str:
    return f"/pbx/{pbx.id}/directory/shared"


def test_admin_edits_the_shared_book_and_end_users_search_it(pbx, people, signed_in):
    admin = signed_in(people["admin"])
    response = admin.post(f"{_shared(pbx)}/new", {"given_name": "Klara", "surname": "Fall", "company": "Fall AG",
                                                 "phone": "(089) 12 34 56"})
    assert response.status_code == 303
    anna = signed_in(people["anna"])
    assert "Klara Fall" in anna.get(f"{_shared(pbx)}?q=fall").get_data(as_text=True)
    assert "Klara Fall" in anna.get(f"{_shared(pbx)}?q=089123456").get_data(as_text=True)
    assert "Klara Fall" not in anna.get(f"{_shared(pbx)}?q=Meier").get_data(as_text=True)
    assert anna.post(f"{_shared(pbx)}/new", {"surname": "Eingeschleust"}).status_code == 403
    [entry] = books.list_entries(get_directory(), Book(pbx))
    assert anna.post(f"{_shared(pbx)}/{entry.uid}/delete").status_code == 403

    response = admin.post(f"{_shared(pbx)}/{entry.uid}/edit", {"given_name": "Klara", "surname": "Fall",
                                                               "phone": "nonsense"})
    assert response.status_code == 200 and "nonsense" in response.get_data(as_text=True)
    assert books.get_entry(get_directory(), Book(pbx), entry.uid).phone == "+4989123456"
    assert admin.post(f"{_shared(pbx)}/{entry.uid}/delete").status_code == 303
    assert books.list_entries(get_directory(), Book(pbx)) == []


def test_a_private_entry_is_invisible_to_everyone_but_its_owner(pbx, people, signed_in):
    anna = signed_in(people["anna"])
    private = f"/pbx/{pbx.id}/directory/private"
    assert anna.post(f"{private}/new", {"surname": "Geheimnummer", "mobile": "0171 5556667"}).status_code == 303
    assert "Geheimnummer" in anna.get(private).get_data(as_text=True)
    [entry] = books.list_entries(get_directory(), Book(pbx, people["anna"].phone_user))

    bernd = signed_in(people["bernd"])
    assert "Geheimnummer" not in bernd.get(private).get_data(as_text=True)
    assert bernd.get(f"{private}/{entry.uid}/edit").status_code == 404
    assert "Geheimnummer" not in bernd.get(f"{_shared(pbx)}?q=Geheim").get_data(as_text=True)
    for who in ("admin", "staff"):
        browser = signed_in(people[who])
        assert browser.get(private).status_code == 404
        assert "Geheimnummer" not in browser.get(f"{_shared(pbx)}?q=0171 5556667").get_data(as_text=True)


def test_exchange_entries_are_read_only_in_the_console(pbx, people, signed_in):
    entry = books.save_entry(get_directory(), Book(pbx), Contact(surname="Aus Exchange", source="exchange"),
                             allow_read_only=True)
    admin = signed_in(people["admin"])
    page = admin.get(_shared(pbx)).get_data(as_text=True)
    assert "aus Exchange" in page and f"{entry.uid}/edit" not in page
    assert admin.post(f"{_shared(pbx)}/{entry.uid}/edit", {"surname": "Geändert"}).status_code == 303
    assert admin.post(f"{_shared(pbx)}/{entry.uid}/delete").status_code == 303
    assert books.get_entry(get_directory(), Book(pbx), entry.uid).surname == "Aus Exchange"


def test_import_with_preview_then_export(pbx, people, signed_in):
    admin = signed_in(people["admin"])
    csv = "Vorname;Nachname;Telefon\nEva;Gut;030 1010101\nXaver;Kaputt;99\n".encode()
    response = admin.post(f"{_shared(pbx)}/import", {"file": (io.BytesIO(csv), "liste.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    preview = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Eva Gut" in preview and "Xaver Kaputt" in preview and "99" in preview
    assert books.list_entries(get_directory(), Book(pbx)) == []  # nothing until confirmed
    assert "Xaver" not in signed_in(people["anna"]).get(response.headers["Location"]).get_data(as_text=True)

    assert admin.post(response.headers["Location"], {"duplicates": "skip"}).status_code == 303
    assert [c.name for c in books.list_entries(get_directory(), Book(pbx))] == ["Eva Gut"]
    exported = admin.get(f"{_shared(pbx)}/export/csv")
    assert exported.mimetype == "text/csv" and '"Eva","Gut"' in exported.get_data(as_text=True)
    vcard = admin.get(f"{_shared(pbx)}/export/vcf").get_data(as_text=True)
    assert "N:Gut;Eva;;;" in vcard and "TEL;TYPE=WORK,VOICE:+49301010101" in vcard


def test_settings_page_cli_and_api_agree(app, pbx, people, signed_in):
    books.save_entry(get_directory(), Book(pbx), Contact(surname="Hotline", phone="0800 3301000"))
    page = signed_in(people["admin"]).get(f"/pbx/{pbx.id}/directory/settings").get_data(as_text=True)
    cli = app.test_cli_runner().invoke(args=["directory", "ldap-url", "--pbx", pbx.name])
    assert cli.exit_code == 0
    url = cli.stdout.strip()
    assert "(telephoneNumber=+%n)" in url and url.replace("&", "&amp;") in page

    found = app.test_cli_runner().invoke(args=["directory", "lookup", "--pbx", pbx.name, "0800-330 1000"])
    assert (found.exit_code, found.stdout.strip()) == (0, "Hotline")
    missing = app.test_cli_runner().invoke(args=["directory", "lookup", "--pbx", pbx.name, "0800 1111111"])
    assert missing.exit_code == 1

    staff = signed_in(people["staff"])
    issued = staff.post(f"/pbx/{pbx.id}/directory/tokens", {"name": "PBX Berlin"}).get_data(as_text=True)
    token = issued.split('id="new-token">')[1].split("<")[0]
    client = app.test_client()
    assert client.get("/api/v1/directory/lookup?number=08003301000").status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/v1/directory/lookup?number=%2B49 800 3301000", headers=auth)
    assert (answer.status_code, answer.json["name"]) == (200, "Hotline")
    assert client.get("/api/v1/directory/lookup?number=0800 2222222", headers=auth).status_code == 404
    assert client.get("/api/v1/directory/lookup?number=*", headers=auth).status_code == 400
    assert signed_in(people["admin"]).post(f"/pbx/{pbx.id}/directory/tokens", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("fmt, mimetype", [("csv", "text/csv"), ("vcf", "text/vcard")])
def test_exports_name_one_charset(pbx, people, signed_in, fmt, mimetype):
    books.save_entry(get_directory(), Book(pbx), Contact(surname="Jörg", phone="030 1010101"))
    response = signed_in(people["admin"]).get(f"{_shared(pbx)}/export/{fmt}")
    assert response.headers["Content-Type"] == f"{mimetype}; charset=utf-8"
    assert "Jörg" in response.get_data().decode("utf-8")


def test_the_import_preview_shows_numbers_for_people_and_repeated_rows(pbx, people, signed_in):
    admin = signed_in(people["admin"])
    csv = "Vorname;Nachname;Telefon\nEva;Gut;030 1010101\nEva;Gut;+49 (0)30 101 01 01\n".encode()
    response = admin.post(f"{_shared(pbx)}/import", {"file": (io.BytesIO(csv), "liste.csv")},
                          content_type="multipart/form-data")
    preview = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "+49 30 1010101" in preview and "+49301010101" not in preview
    assert "Gleich wie Zeile 2: nur einmal importiert" in preview
    assert admin.post(response.headers["Location"], {"duplicates": "update"}).status_code == 303
    assert [c.name for c in books.list_entries(get_directory(), Book(pbx))] == ["Eva Gut"]

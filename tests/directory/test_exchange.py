"""Exchange sync: exchangelib, unmodified, against the EWS test server in tests/directory/ews_server.py."""
from __future__ import annotations

import pytest
from exchangelib import FaultTolerance

from console.directory import books, exchange
from console.directory.books import Book
from console.directory.models import ExchangeAccount, ExchangeFolderState, SyncStatus
from console.extensions import db
from tests.directory.ews_server import EwsTestServer, Mailbox

PASSWORD = "S3cret-Exchange!"


@pytest.fixture
def mailbox():
    return Mailbox("svc-mueller", PASSWORD)


@pytest.fixture
def ews(mailbox):
    with EwsTestServer(mailbox) as server:
        yield server


@pytest.fixture
def account(pbx, ews):
    return exchange.save_account(None, customer=pbx.customer, endpoint=ews.endpoint, username="svc-mueller",
                                 password=PASSWORD, mailbox="adressbuch@mueller.example", folders="",
                                 interval_minutes=60, enabled=True)


def sync(account, directory):
    run = exchange.request_sync(account)
    return exchange.run_sync(run, directory, retry_policy=FaultTolerance(max_wait=5))


def names(directory, pbx):
    return sorted((c.name, c.phone, c.source) for c in books.list_entries(directory, Book(pbx)))


def test_the_password_is_stored_encrypted(account):
    assert PASSWORD.encode() not in account.secret and exchange.decrypt(account.secret) == PASSWORD


def test_first_sync_then_incremental_changes_and_deletions(account, mailbox, directory, pbx):
    anna = mailbox.put("contacts", given_name="Anna", surname="Schmidt", company="Kunde AG", phone="030 1234567",
                       mobile="+49 171 2345678", email="anna@kunde.example", title="Einkauf", note="VIP")
    bernd = mailbox.put("contacts", given_name="Bernd", surname="Bauer", phone="(089) 765 43 21")
    mailbox.put("contacts", given_name="Kaputt", surname="Nummer", phone="12")

    run = sync(account, directory)
    assert (run.status, run.created, run.updated, run.deleted, run.skipped) == (SyncStatus.DONE, 2, 0, 0, 1)
    assert "Kaputt Nummer" in run.report
    assert names(directory, pbx) == [("Anna Schmidt", "+49301234567", "exchange"),
                                     ("Bernd Bauer", "+49897654321", "exchange")]
    [entry] = books.list_entries(directory, Book(pbx), "Anna")
    assert (entry.company, entry.mobile, entry.email, entry.title, entry.note) == (
        "Kunde AG", "+491712345678", "anna@kunde.example", "Einkauf", "VIP")
    assert books.lookup_name(directory, pbx, "030 1234567") == "Anna Schmidt"

    mailbox.put("contacts", item_id=anna, given_name="Anna", surname="Schmidt-Lange", phone="030 1234567")
    mailbox.remove("contacts", bernd)
    mailbox.put("contacts", surname="Neu", phone="040 555666")
    before = len(mailbox.requests)
    run = sync(account, directory)
    assert (run.status, run.created, run.updated, run.deleted, run.full) == (SyncStatus.DONE, 1, 1, 1, False)
    assert names(directory, pbx) == [("Anna Schmidt-Lange", "+49301234567", "exchange"),
                                     ("Neu", "+4940555666", "exchange")]
    sync_requests = [r for r in mailbox.requests[before:] if r.operation == "SyncFolderItems"]
    assert sync_requests and all(r.sync_state for r in sync_requests)  # incremental: asked with the stored state

    run = sync(account, directory)
    assert (run.created, run.updated, run.deleted) == (0, 0, 0)


def test_invalid_sync_state_means_a_full_resync(account, mailbox, directory, pbx):
    keep = mailbox.put("contacts", surname="Bleibt", phone="030 1111111")
    gone = mailbox.put("contacts", surname="Verschwindet", phone="030 2222222")
    sync(account, directory)
    mailbox.remove("contacts", gone)
    mailbox.put("contacts", item_id=keep, surname="Bleibt geändert", phone="030 1111111")
    mailbox.invalidate_sync_states()  # e.g. the mailbox moved to another database

    run = sync(account, directory)
    assert (run.status, run.full) == (SyncStatus.DONE, True)
    assert "full resync" in run.report
    assert names(directory, pbx) == [("Bleibt geändert", "+49301111111", "exchange")]
    state = db.session.query(ExchangeFolderState).filter_by(account_id=account.id).one()
    assert mailbox.parse_state("contacts", state.sync_state) is not None  # the new state is stored


def test_a_busy_server_is_given_the_back_off_it_asks_for(account, mailbox, directory, pbx):
    mailbox.put("contacts", surname="Geduld", phone="030 3333333")
    mailbox.busy = [400, 400]
    run = sync(account, directory)
    assert run.status is SyncStatus.DONE and names(directory, pbx) == [("Geduld", "+49303333333", "exchange")]
    first, second, third = mailbox.requests[:3]
    assert second.at - first.at >= 0.4 and third.at - second.at >= 0.4


def test_a_server_asking_for_too_long_a_pause_ends_the_run_cleanly(account, mailbox, directory, pbx):
    mailbox.put("contacts", surname="Später", phone="030 4444444")
    mailbox.busy = [60_000]
    run = sync(account, directory)
    assert run.status is SyncStatus.FAILED and "busy" in run.error
    assert books.list_entries(directory, Book(pbx)) == []
    assert sync(account, directory).status is SyncStatus.DONE  # the next run gets through


def test_wrong_password_is_reported(account, directory):
    account.secret = exchange.encrypt("wrong")
    run = sync(account, directory)
    assert run.status is SyncStatus.FAILED and "password" in run.error and "wrong" not in run.error


def test_named_folders_are_synced_and_unknown_ones_reported(account, mailbox, directory, pbx):
    mailbox.add_folder("f-kunden", "Kunden", "contacts")
    mailbox.put("f-kunden", surname="Kundin", phone="030 5555555")
    mailbox.put("contacts", surname="Nicht gewählt", phone="030 6666666")
    account.folders = "Kunden\nGibtsNicht"
    run = sync(account, directory)
    assert run.status is SyncStatus.DONE and "GibtsNicht: no such contact folder" in run.report
    assert names(directory, pbx) == [("Kundin", "+49305555555", "exchange")]


def test_only_one_run_is_queued_at_a_time(account):
    assert exchange.request_sync(account).id == exchange.request_sync(account).id
    assert isinstance(account, ExchangeAccount)


def test_staff_configure_admins_sync_now_and_see_the_report(pbx, ews, mailbox, make_login, signed_in, directory):
    from console.auth.models import Role
    from console.directory.jobs import sync_exchange
    mailbox.put("contacts", given_name="Olga", surname="Orlova", phone="030 7777777")
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    page = f"/customers/{pbx.customer.id}/exchange"
    response = staff.post(page, {"endpoint": ews.endpoint, "username": "svc-mueller", "password": PASSWORD,
                                 "mailbox": "adressbuch@mueller.example", "folders": "", "interval_minutes": 30,
                                 "enabled": "y", "include_gal": "y"})
    assert response.status_code == 303
    assert db.session.query(ExchangeAccount).one().include_gal is True
    assert PASSWORD not in staff.get(page).get_data(as_text=True)

    admin = signed_in(make_login(Role.CUSTOMER_ADMIN, customer=pbx.customer))
    assert admin.post(page, {"endpoint": "http://evil.example/EWS"}).status_code == 200  # no form for admins
    assert db.session.query(ExchangeAccount).one().endpoint == ews.endpoint
    assert admin.post(f"{page}/sync").status_code == 303
    status = admin.get(f"{page}/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<progress" in status and "every 2s" in status

    sync_exchange()  # what the scheduler runs
    status = admin.get(f"{page}/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<progress" not in status and "erledigt" in status
    assert books.lookup_name(directory, pbx, "+49 30 7777777") == "Olga Orlova"


# --- the global address list (ResolveNames) ----------------------------------------------------------------

def gal_entries(directory, pbx):
    return sorted((c.name, c.phone, c.mobile, c.email) for c in books.list_entries(directory, Book(pbx))
                  if c.source == "exchange-gal")


def test_gal_entries_arrive_normalised_and_are_found_by_the_caller_name_lookup(account, mailbox, directory, pbx):
    account.include_gal = True
    mailbox.put_gal("k.koch@mueller.example", given_name="Karl", surname="Koch", company="Müller GmbH",
                    phone="030 98765-43", mobile="0049 (171) 1112223", title="Vertrieb")
    mailbox.put_gal("empfang@mueller.example", company="Empfang", phone="+49 30 9876540")
    mailbox.put_gal("alle@mueller.example", mailbox_type="PublicDL", surname="Alle")  # a group: not a person
    mailbox.put_gal("kaputt@mueller.example", surname="Kaputt", phone="12")
    mailbox.put("contacts", given_name="Karla", surname="Kontakt", phone="030 5550000")

    run = sync(account, directory)
    assert (run.status, run.created, run.updated, run.deleted, run.skipped) == (SyncStatus.DONE, 3, 0, 0, 1)
    assert "Kaputt" in run.report
    assert gal_entries(directory, pbx) == [
        ("Empfang", "+49309876540", "", "empfang@mueller.example"),
        ("Karl Koch", "+49309876543", "+491711112223", "k.koch@mueller.example")]
    assert names(directory, pbx) == [("Empfang", "+49309876540", "exchange-gal"),
                                     ("Karl Koch", "+49309876543", "exchange-gal"),
                                     ("Karla Kontakt", "+49305550000", "exchange")]  # the folder's own contact once
    assert books.lookup_name(directory, pbx, "030 9876543") == "Karl Koch"
    assert books.lookup_name(directory, pbx, "+491711112223") == "Karl Koch"
    [koch] = books.list_entries(directory, Book(pbx), "Koch")
    assert koch.read_only and (koch.company, koch.title) == ("Müller GmbH", "Vertrieb")
    resolve = [r for r in mailbox.requests if r.operation == "ResolveNames"]
    assert resolve  # the GAL is read with ResolveNames, not from a folder

    run = sync(account, directory)  # nothing changed: nothing written
    assert (run.status, run.created, run.updated, run.deleted) == (SyncStatus.DONE, 0, 0, 0)


def test_the_console_entry_wins_over_the_gal_in_the_caller_name_lookup(account, mailbox, directory, pbx):
    account.include_gal = True
    mailbox.put_gal("zentrale@mueller.example", company="Zentrale (GAL)", phone="030 4000000")
    books.save_entry(directory, Book(pbx), books.Contact(company="Zentrale", phone="030 4000000"))
    assert sync(account, directory).status is SyncStatus.DONE
    assert books.lookup_name(directory, pbx, "030 4000000") == "Zentrale"


def test_a_gal_entry_removed_on_the_server_is_removed_on_the_next_sync(account, mailbox, directory, pbx):
    account.include_gal = True
    mailbox.put_gal("bleibt@mueller.example", surname="Bleibt", phone="030 1010101")
    mailbox.put_gal("geht@mueller.example", surname="Geht", phone="030 2020202")
    assert sync(account, directory).created == 2
    mailbox.remove_gal("geht@mueller.example")
    mailbox.put_gal("bleibt@mueller.example", surname="Bleibt", phone="030 1010102")

    run = sync(account, directory)
    assert (run.status, run.created, run.updated, run.deleted) == (SyncStatus.DONE, 0, 1, 1)
    assert gal_entries(directory, pbx) == [("Bleibt", "+49301010102", "", "bleibt@mueller.example")]
    assert books.lookup_name(directory, pbx, "030 2020202") is None


def test_without_the_flag_no_gal_entries_are_written_and_earlier_ones_go(account, mailbox, directory, pbx):
    mailbox.put_gal("k.koch@mueller.example", surname="Koch", phone="030 9876543")
    mailbox.put("contacts", surname="Kontakt", phone="030 5550000")
    run = sync(account, directory)
    assert (run.status, run.created) == (SyncStatus.DONE, 1)
    assert gal_entries(directory, pbx) == []
    assert not [r for r in mailbox.requests if r.operation == "ResolveNames"]

    account.include_gal = True
    assert sync(account, directory).created == 1
    assert len(gal_entries(directory, pbx)) == 1
    account.include_gal = False  # switched off again: what the GAL brought is removed
    run = sync(account, directory)
    assert (run.status, run.deleted) == (SyncStatus.DONE, 1)
    assert gal_entries(directory, pbx) == [] and names(directory, pbx) == [("Kontakt", "+49305550000", "exchange")]


def test_more_than_100_gal_entries_are_all_synced(account, mailbox, directory, pbx):
    """ResolveNames answers at most 100 candidates per call; the sync narrows prefixes until it has them all."""
    account.include_gal = True
    given = ["Anna", "Andreas", "Anja", "Bernd", "Berta", "Max", "Maria", "Markus"]
    for i in range(260):
        mailbox.put_gal(f"{given[i % len(given)].lower()}.team{i:03d}@mueller.example", given_name=given[i % 8],
                        surname=f"Team{i:03d}", phone=f"030 7{i:06d}")
    run = sync(account, directory)
    assert (run.status, run.created, run.skipped, run.deleted) == (SyncStatus.DONE, 260, 0, 0)
    assert len(gal_entries(directory, pbx)) == 260
    assert books.lookup_name(directory, pbx, "030 7000259") == f"{given[259 % 8]} Team259"

    mailbox.remove_gal("anna.team000@mueller.example")
    run = sync(account, directory)
    assert (run.status, run.created, run.updated, run.deleted) == (SyncStatus.DONE, 0, 0, 1)
    assert len(gal_entries(directory, pbx)) == 259

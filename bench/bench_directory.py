"""Phonebook benchmarks, each against a baseline measured in the same run.

1. Caller-name lookup with 100,000 entries in the project's slapd: console.directory.books.lookup_name
   (number normalisation + escaped OR filter over the number attributes) against a bare python-ldap
   equality search for the same numbers on one persistent connection. Goal: within 1.5x.
2. Exchange sync through exchangelib against the EWS test server (tests/directory/ews_server.py):
   10,000 contacts in full, then an incremental run with 10 changes. Goal: the incremental run costs in
   proportion to the changes, not to the book.
"""
from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ldap  # noqa: E402

from console.directory import books, tree  # noqa: E402
from console.directory.connection import Directory, LdapConfig  # noqa: E402
from console.directory.slapd import Slapd, _find  # noqa: E402

ENTRIES = 100_000
LOOKUPS = 3_000
CONTACTS = 10_000
PBX = SimpleNamespace(name="bench.stimme.test", country="DE", id=1)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


def load_offline(server: Slapd) -> float:
    base = server.suffix
    shared = tree.shared_dn(base, PBX.name)
    parts = [f"dn: {base}\nobjectClass: dcObject\nobjectClass: organization\ndc: stimme\no: stimme\n",
             f"dn: ou=pbx,{base}\nobjectClass: organizationalUnit\nou: pbx\n",
             f"dn: {tree.pbx_dn(base, PBX.name)}\nobjectClass: organizationalUnit\nou: {PBX.name}\n",
             f"dn: {shared}\nobjectClass: organizationalUnit\nou: shared\n"]
    for n in range(ENTRIES):
        parts.append(f"dn: uid=b{n},{shared}\nobjectClass: inetOrgPerson\nuid: b{n}\ncn: Person {n}\n"
                     f"sn: Person {n}\nemployeeType: console\ntelephoneNumber: +4930{1000000 + n}\n"
                     f"mobile: +49171{2000000 + n}\n")
    started = time.perf_counter()
    subprocess.run([_find("slapadd"), "-q", "-F", str(server.config_dir), "-b", base], input="\n".join(parts),
                   text=True, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_lookup(server: Slapd) -> None:
    directory = Directory(LdapConfig(server.url, server.root_dn, server.root_pw, server.suffix))
    bare = ldap.initialize(server.url)
    bare.simple_bind_s(server.root_dn, server.root_pw)
    shared = tree.shared_dn(server.suffix, PBX.name)
    rng = random.Random(6)
    picks = [rng.randrange(ENTRIES) for _ in range(LOOKUPS)]
    typed = [f"030 {1000000 + n}" for n in picks]  # as a person would type it; normalised by the console
    e164 = [f"+4930{1000000 + n}" for n in picks]
    for n in range(200):  # warm both paths with numbers not measured
        books.lookup_name(directory, PBX, f"+4930{1000000 + ENTRIES - 1 - n}")
    print(f"caller-name lookup: {LOOKUPS:,} lookups among {ENTRIES:,} entries")
    # The PBX and the API hand over E.164; people type national numbers (first call parses, repeats are cached).
    for label, inputs in (("E.164 input (PBX, API)", e164), ("national input, e.g. 030 …", typed)):
        console_times, bare_times = [], []
        for raw, number in zip(inputs, e164):
            started = time.perf_counter()
            name = books.lookup_name(directory, PBX, raw)
            console_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            found = bare.search_s(shared, ldap.SCOPE_ONELEVEL, f"(telephoneNumber={number})", ["cn"])
            bare_times.append(time.perf_counter() - started)
            assert name == found[0][1]["cn"][0].decode(), (raw, name, found)
        c50, c99, b50, b99 = (pct(console_times, 50), pct(console_times, 99), pct(bare_times, 50),
                              pct(bare_times, 99))
        print(f"  {label}")
        print(f"    console lookup_name     p50 {c50:.3f} ms   p99 {c99:.3f} ms")
        print(f"    bare python-ldap search p50 {b50:.3f} ms   p99 {b99:.3f} ms")
        print(f"    ratio                   p50 {c50 / b50:.2f}x   p99 {c99 / b99:.2f}x   (goal: within 1.5x)")
    directory.close()
    bare.unbind_s()


def bench_exchange(server: Slapd, workdir: Path) -> None:
    from exchangelib import FaultTolerance

    from console import create_app
    from console.accounts import services as accounts
    from console.accounts.models import LicenceKind
    from console.auth.models import Login, Role
    from console.config import Settings
    from console.directory import exchange
    from console.directory.models import SyncStatus
    from console.directory.connection import get_directory
    from console.extensions import db
    from tests.directory.ews_server import EwsTestServer, Mailbox

    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.db'}", log_format="text", ldap_url=server.url,
                        ldap_bind_dn=server.root_dn, ldap_bind_password=server.root_pw, ldap_base_dn=server.suffix)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        staff = Login(role=Role.STAFF_ADMIN, email="bench", name="bench")
        reseller = accounts.save_reseller(None, name="Bench Reseller", notice_email="noc@bench.example")
        customer = accounts.create_customer(
            staff, reseller=reseller, name="Bench GmbH", pbx_name="exchange-bench.stimme.test",
            licence=LicenceKind.BASE, licence_start=None, gateway_serial=None, site_name="Zentrale",
            street="Weg 1", postcode="10115", city="Berlin")
        mailbox = Mailbox("svc", "pw")
        ids = [mailbox.put("contacts", given_name=f"Vor{n}", surname=f"Nach{n}", company="Firma",
                           phone=f"040 {3000000 + n}", email=f"k{n}@bench.example") for n in range(CONTACTS)]
        with EwsTestServer(mailbox) as ews:
            account = exchange.save_account(None, customer=customer, endpoint=ews.endpoint, username="svc",
                                            password="pw", mailbox="book@bench.example", folders="",
                                            interval_minutes=60, enabled=True)
            db.session.commit()
            timings = []
            for label in ("full", "incremental"):
                if label == "incremental":
                    for item_id in random.Random(7).sample(ids, 10):
                        mailbox.put("contacts", item_id=item_id, given_name="Geändert", surname="Kontakt",
                                    phone="040 9999999")
                before = len(mailbox.requests)
                run = exchange.request_sync(account)
                started = time.perf_counter()
                exchange.start_run(run.id)
                for _checkpoint in exchange.sync_steps(run, get_directory(), retry_policy=FaultTolerance(max_wait=30)):
                    db.session.commit()   # as the job does
                elapsed = time.perf_counter() - started
                assert run.status is SyncStatus.DONE, run.error
                timings.append(elapsed)
                print(f"  {label:<12} {elapsed * 1000:9.1f} ms  created {run.created:>6} updated {run.updated:>3} "
                      f"deleted {run.deleted}  EWS requests {len(mailbox.requests) - before}")
        full, incremental = timings
        print(f"  full per contact {full / CONTACTS * 1000:.3f} ms; incremental per change {incremental / 10 * 1000:.3f} ms;"
              f" incremental/full {incremental / full:.4f} (changes/book {10 / CONTACTS:.4f})")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
        server = Slapd(Path(tmp) / "slapd", durable=False)
        server.prepare()
        seconds = load_offline(server)
        print(f"slapadd loaded {ENTRIES:,} entries in {seconds:.1f} s")
        server.start()
        try:
            bench_lookup(server)
            print(f"Exchange sync, {CONTACTS:,} contacts, then 10 changes")
            bench_exchange(server, Path(tmp))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The directory walked as every PBX: each reader account, from the root, sees its own PBX's subtree only.

PBX names that look like another's with each "." replaced, and names full of regular-expression and DN
specials — which the console no longer accepts, but which rows from before the host-name rule may still
carry — are the attack on the embedded slapd's access rules (issue 11, point 1).
"""
from __future__ import annotations

import pytest

from console.accounts import services as accounts
from console.directory import books, tree
from console.directory.books import Book
from console.directory.pbx_settings import set_reader_password
from console.directory.tree import Contact
from console.errors import RuleViolation
from console.extensions import db
from tests.directory.pbx_client import ldapsearch, normalised, within

VICTIM = "mueller.stimme.cloud"
LOOKALIKES = ["muellerxstimmexcloud", "mueller-stimme-cloud", "mueller0stimme0cloud"]
SPECIALS = [".*", "(.+)", "mueller.stimme.clou.", "[a-z]*", "$1", "a,ou=mueller.stimme.cloud",
            "mueller.stimme.cloud,ou=pbx", "m+x=y", "#mueller", "back\\slash", "*", "mü.ller"]


@pytest.fixture
def pbxs(directory, make_customer, make_user):
    """Each PBX with a shared entry, two users with a private entry each, and its reader's password."""
    made = []
    for n, name in enumerate([VICTIM, *LOOKALIKES, *SPECIALS]):
        pbx = make_customer().pbx
        pbx.name = name  # a row as it may exist from before the host-name rule
        db.session.flush()
        users = [make_user(pbx.customer), make_user(pbx.customer)]
        shared = books.save_entry(directory, Book(pbx), Contact(surname=f"Geteilt {n}", phone=f"030 9{n:06d}"))
        private = [books.save_entry(directory, Book(pbx, u), Contact(surname=f"Privat {n}-{i}",
                                                                     mobile=f"0171 8{n:02d}{i:04d}"))
                   for i, u in enumerate(users)]
        made.append({"pbx": pbx, "password": set_reader_password(directory, pbx),
                     "entries": {normalised(e.dn) for e in [shared, *private]}})
    return made


def test_every_reader_sees_its_own_pbx_and_nothing_of_any_other(directory, pbxs):
    base = directory.base_dn
    for mine in pbxs:
        reader = tree.reader_dn(base, mine["pbx"].name)
        subtree = tree.pbx_dn(base, mine["pbx"].name)
        # Every other PBX's subtree, asked for directly: its shared book and every private book in it.
        for other in pbxs:
            if other is mine:
                continue
            theirs = ldapsearch(directory.config.url, reader, mine["password"],
                                tree.pbx_dn(base, other["pbx"].name))
            assert theirs == [], f"{mine['pbx'].name!r} reads {other['pbx'].name!r}: {theirs}"
            for dn in other["entries"]:
                assert ldapsearch(directory.config.url, reader, mine["password"], dn, "base") == []
        # From the directory root, sub scope: the own shared and private entries, nothing outside the subtree.
        seen = ldapsearch(directory.config.url, reader, mine["password"], base)
        outside = [dn for dn, _ in seen if not within(dn, subtree)]
        assert outside == [], f"{mine['pbx'].name!r} reads {outside}"
        assert mine["entries"] <= {normalised(dn) for dn, _ in seen}, mine["pbx"].name

def test_a_directory_made_with_the_old_rules_gets_the_new_ones_on_restart(tmp_path):
    """`make run`'s slapd keeps its data in instance/slapd: the config is rebuilt at every start."""
    import ldap

    from console.directory.slapd import Slapd

    class OldSlapd(Slapd):
        def config_ldif(self):
            old_rule = (f'to dn.regex="^(.+,)?ou=([^,]+),ou=pbx,{self.suffix}$" '
                        f'by dn.regex="^cn=reader,ou=$2,ou=pbx,{self.suffix}$" read by * none')
            lines = [line for line in super().config_ldif().splitlines() if "dn.regex" not in line]
            at = next(i for i, line in enumerate(lines) if line.startswith("olcAccess: {4}"))
            return "\n".join(lines[:at] + [f"olcAccess: {{3}}{old_rule}"] + lines[at:]) + "\n"

    def readers(server: Slapd, names: list[str]) -> dict[str, str]:
        conn = ldap.initialize(server.url)
        conn.simple_bind_s(server.root_dn, server.root_pw)
        conn.add_s(f"ou=pbx,{server.suffix}", [("objectClass", [b"organizationalUnit"]), ("ou", [b"pbx"])])
        passwords = {}
        for name in names:
            conn.add_s(tree.pbx_dn(server.suffix, name), [("objectClass", [b"organizationalUnit"]),
                                                           ("ou", [name.encode()])])
            passwords[name] = f"pw-{len(passwords)}"
            conn.add_s(tree.reader_dn(server.suffix, name), [
                ("objectClass", [b"applicationProcess", b"simpleSecurityObject"]), ("cn", [b"reader"]),
                ("userPassword", [passwords[name].encode()])])
        conn.unbind_s()
        return passwords

    server = OldSlapd(tmp_path / "slapd", durable=False)
    server.start()
    try:
        passwords = readers(server, [VICTIM, "muellerxstimmexcloud"])
        attacker = tree.reader_dn(server.suffix, "muellerxstimmexcloud")
        victim_tree = tree.pbx_dn(server.suffix, VICTIM)
        assert ldapsearch(server.url, attacker, passwords["muellerxstimmexcloud"], victim_tree)  # the old hole
        server.stop()
        server.__class__ = Slapd  # the same instance folder, started by today's code
        server.start()
        assert ldapsearch(server.url, attacker, passwords["muellerxstimmexcloud"], victim_tree) == []
    finally:
        server.destroy()


def test_a_reader_cannot_read_a_password(directory, pbxs):
    mine = pbxs[1]
    seen = ldapsearch(directory.config.url, tree.reader_dn(directory.base_dn, mine["pbx"].name),
                      mine["password"], directory.base_dn, attrs=("userPassword",))
    assert seen and not any("userPassword" in attrs for _, attrs in seen)


@pytest.mark.parametrize("name", [*SPECIALS, "-mueller.de", "mueller-.de", "mueller..de", "mueller.de.",
                                  "mueller_stimme.cloud", "m" * 64 + ".de", "a " + VICTIM, ""])
def test_only_host_names_are_accepted_as_pbx_names(make_reseller, staff_actor, name):
    with pytest.raises(RuleViolation) as refused:
        accounts.create_customer(staff_actor, reseller=make_reseller(), name="Neu", pbx_name=name,
                                 licence=accounts.LicenceKind.BASE, site_name="Z", street="S 1",
                                 postcode="10115", city="Berlin")
    assert "host name" in str(refused.value.errors["pbx_name"])


@pytest.mark.parametrize("language, words", [("de", "Hostnamen"), ("en", "host name")])
def test_the_form_says_what_a_pbx_name_may_be(make_reseller, make_login, signed_in, language, words):
    from console.auth.models import Role
    reseller = make_reseller()
    browser = signed_in(make_login(Role.RESELLER, reseller=reseller, language=language))
    response = browser.post("/customers/new", {
        "reseller_id": reseller.id, "name": "Lookalike", "pbx_name": "mueller.stimme.cloud,ou=pbx",
        "licence": "base", "site_name": "Z", "street": "S 1", "postcode": "10115", "city": "Berlin"})
    assert response.status_code == 200 and words in response.get_data(as_text=True)
    assert "Lookalike" not in [c.name for c in reseller.customers]


def test_host_names_are_stored_in_lower_case(make_reseller, staff_actor):
    customer = accounts.create_customer(staff_actor, reseller=make_reseller(), name="Neu",
                                        pbx_name=" Neu-1.Stimme.Cloud ", licence=accounts.LicenceKind.BASE,
                                        site_name="Z", street="S 1", postcode="10115", city="Berlin")
    assert customer.pbx.name == "neu-1.stimme.cloud"

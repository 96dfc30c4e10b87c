"""The documented LDAP tree, and how a phonebook entry maps onto inetOrgPerson.

    <LDAP_BASE_DN>
      ou=pbx
        ou=<PBX name>                        one subtree per PBX
          cn=reader                          the PBX's read-only bind account (embedded slapd ACL)
          ou=shared                          the shared book: console entries and Exchange-synced ones
            uid=<id>                         inetOrgPerson
          ou=private
            ou=<extension>                   one private book per phone user, under the user's extension, so
              uid=<id>                       the PBX finds it by the called user (%u); description names the
                                             owner ("phone-user <id>"), see console.directory.private

Entries carry employeeType = their source ("console", "import", "exchange" for Exchange contact folders or
"exchange-gal" for Exchange's global address list); Exchange entries of either kind are read-only in the
console. Numbers are stored in E.164 (+4930…), so equality filters find them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from ldap.dn import escape_dn_chars

SOURCE_CONSOLE = "console"
SOURCE_EXCHANGE = "exchange"
SOURCE_EXCHANGE_GAL = "exchange-gal"
READ_ONLY_SOURCES = frozenset({SOURCE_EXCHANGE, SOURCE_EXCHANGE_GAL})  # changed in Exchange, not in the console

# Contact field → LDAP attribute
ATTRIBUTES = {
    "given_name": "givenName", "surname": "sn", "company": "o", "title": "title", "email": "mail",
    "phone": "telephoneNumber", "mobile": "mobile", "home": "homePhone", "fax": "facsimileTelephoneNumber",
    "note": "description",
}
NUMBER_FIELDS = ("phone", "mobile", "home", "fax")
# The attributes reverse lookup matches on (facsimileTelephoneNumber has no equality rule in the schema).
LOOKUP_ATTRIBUTES = ("telephoneNumber", "mobile", "homePhone")
MANAGED = ["objectClass", "uid", "cn", "employeeType", *ATTRIBUTES.values()]


def pbx_dn(base: str, pbx_name: str) -> str:
    return f"ou={escape_dn_chars(pbx_name)},ou=pbx,{base}"


def shared_dn(base: str, pbx_name: str) -> str:
    return f"ou=shared,{pbx_dn(base, pbx_name)}"


def private_root_dn(base: str, pbx_name: str) -> str:
    return f"ou=private,{pbx_dn(base, pbx_name)}"


def private_dn(base: str, pbx_name: str, extension: str) -> str:
    return f"ou={escape_dn_chars(extension)},{private_root_dn(base, pbx_name)}"


def reader_dn(base: str, pbx_name: str) -> str:
    return f"cn=reader,{pbx_dn(base, pbx_name)}"


def entry_dn(book_dn: str, uid: str) -> str:
    return f"uid={escape_dn_chars(uid)},{book_dn}"


def ou(name: str) -> dict[str, list[bytes]]:
    return {"objectClass": [b"organizationalUnit"], "ou": [name.encode()]}


@dataclass
class Contact:
    uid: str = ""
    given_name: str = ""
    surname: str = ""
    company: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    home: str = ""
    fax: str = ""
    note: str = ""
    source: str = SOURCE_CONSOLE
    dn: str = field(default="", compare=False)

    @classmethod
    def field_names(cls) -> list[str]:
        return list(ATTRIBUTES)

    @property
    def name(self) -> str:
        """The name shown on the phone: the person, else the company."""
        return " ".join(p for p in (self.given_name, self.surname) if p) or self.company

    @property
    def numbers(self) -> list[str]:
        return [getattr(self, f) for f in NUMBER_FIELDS if getattr(self, f)]

    @property
    def read_only(self) -> bool:
        return self.source in READ_ONLY_SOURCES

    def values(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in ATTRIBUTES}

    def to_ldap(self) -> dict[str, list[bytes]]:
        """The attributes this entry should have. sn is mandatory in inetOrgPerson: a company-only entry
        uses the company there (and from_ldap reads it back as no surname)."""
        attrs: dict[str, list[bytes]] = {
            "objectClass": [b"top", b"person", b"organizationalPerson", b"inetOrgPerson"],
            "uid": [self.uid.encode()],
            "cn": [self.name.encode()],
            "employeeType": [self.source.encode()],
        }
        for name, attr in ATTRIBUTES.items():
            value = getattr(self, name).strip()
            if value:
                attrs[attr] = [value.encode()]
        if not self.surname.strip():
            attrs["sn"] = [(self.company or self.name).encode()]
        return attrs

    @classmethod
    def from_ldap(cls, dn: str, attrs: dict[str, list[bytes]]) -> "Contact":
        def first(attr: str) -> str:
            values = attrs.get(attr) or []
            return values[0].decode() if values else ""
        contact = cls(dn=dn, uid=first("uid"), source=first("employeeType") or SOURCE_CONSOLE,
                      **{name: first(attr) for name, attr in ATTRIBUTES.items()})
        # A company-only entry (see to_ldap): sn, o and cn all say the company.
        if not contact.given_name and contact.company and contact.surname == contact.company == first("cn"):
            contact.surname = ""
        return contact


CONTACT_FIELDS = [f.name for f in fields(Contact) if f.name in ATTRIBUTES]

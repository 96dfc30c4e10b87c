"""Phonebooks: who may see and edit which book, entries in and out of LDAP, search and caller-name lookup.

The LDAP server holds the entries; nothing about them is kept in SQL. Every number is normalised to E.164
with the PBX's country before it is written or searched, and every user value in a filter is escaped.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

import ldap
import ldap.modlist
from flask_babel import lazy_gettext as _l
from ldap.filter import escape_filter_chars

from console.accounts.models import PhoneUser, Pbx
from console.auth.models import Login, Role
from console.auth.permissions import can
from console.directory import private, tree
from console.directory.connection import Directory
from console.directory.tree import Contact
from console.errors import RuleViolation
from console.ops.metrics import LDAP_LOOKUP
from console.phone import InvalidNumber, area_prefix, in_area, to_e164

SHARED = "shared"
PRIVATE = "private"


@dataclass(frozen=True)
class Book:
    pbx: Pbx
    owner: PhoneUser | None = None  # None: the shared book

    @property
    def kind(self) -> str:
        return PRIVATE if self.owner else SHARED

    def dn(self, directory: Directory) -> str:
        """Where the book is; for a private book use checked_dn() before reading or writing it."""
        if self.owner:
            return tree.private_dn(directory.base_dn, self.pbx.name, self.owner.extension)
        return tree.shared_dn(directory.base_dn, self.pbx.name)


def checked_dn(directory: Directory, book: Book) -> str:
    """The book's DN; a private book's container is checked to be its owner's (console.directory.private)."""
    return private.book_dn(directory, book.owner) if book.owner else book.dn(directory)


def book_for(login: Login, pbx: Pbx, kind: str) -> Book | None:
    """The book `kind` of a PBX the login can already see (tenancy checked by the caller), or None."""
    if kind == SHARED:
        return Book(pbx)
    if kind == PRIVATE and login.role is Role.END_USER and login.phone_user and login.phone_user.pbx_id == pbx.id:
        return Book(pbx, login.phone_user)  # only its owner: not staff, not the customer admin
    return None


def can_edit(login: Login, book: Book) -> bool:
    """Who may write which book is console.auth.permissions' rule; a private book only ever its owner's."""
    if book.owner:
        return can(login, "manage", "private_book") and login.phone_user_id == book.owner.id
    return can(login, "manage", "shared_book")


def ensure_book(directory: Directory, book: Book) -> str:
    """Create the containers down to the book; returns the book's DN. The shared book's are remembered per
    connection object; a private book's container is checked every time (its owner may have changed)."""
    if book.owner:
        return private.ensure_book(directory, book.owner)
    base = directory.base_dn
    if book.dn(directory) in directory.ensured:
        return book.dn(directory)
    directory.ensure(f"ou=pbx,{base}", tree.ou("pbx"))
    directory.ensure(tree.pbx_dn(base, book.pbx.name), tree.ou(book.pbx.name))
    directory.ensure(book.dn(directory), tree.ou("shared"))
    directory.ensured.add(book.dn(directory))
    return book.dn(directory)


# --- numbers and validation ------------------------------------------------------------------------------

def normalise(contact: Contact, country: str) -> Contact:
    """Numbers to E.164 with the PBX's country; raises RuleViolation naming every bad field."""
    errors: dict[str, object] = {}
    for name in tree.NUMBER_FIELDS:
        raw = getattr(contact, name).strip()
        if not raw:
            continue
        try:
            setattr(contact, name, to_e164(raw, country or "DE"))
        except InvalidNumber as exc:
            errors[name] = exc.message
    for name in tree.ATTRIBUTES:
        value = getattr(contact, name).replace("\x00", "")
        # one line for every field; the note keeps its lines, each break stored as "\n" (never a bare CR)
        setattr(contact, name, " ".join(value.split()) if name != "note"
                else value.replace("\r\n", "\n").replace("\r", "\n").strip())
    if not (contact.surname or contact.company):
        errors["surname"] = _l("Enter a last name or a company.")
    if errors:
        raise RuleViolation(errors)
    return contact


# --- reading ---------------------------------------------------------------------------------------------

PERSON = "(objectClass=inetOrgPerson)"


def list_entries(directory: Directory, book: Book, query: str = "", limit: int = 0) -> list[Contact]:
    """The book's entries matching `query` (any part of a name, company or e-mail; or a number), by name."""
    flt = search_filter(query, book.pbx.country, local_areas(book.pbx))
    scope = ldap.SCOPE_ONELEVEL
    entries = [Contact.from_ldap(dn, attrs) for dn, attrs in
               directory.iter_search(checked_dn(directory, book), scope, flt, tree.MANAGED, limit)]
    return sorted(entries, key=lambda c: (c.name.casefold(), c.company.casefold(), c.uid))


def local_areas(pbx: Pbx) -> list[str]:
    """The area prefixes of the PBX's own number blocks (+4930 …): a number typed without its area code is local."""
    found = {area_prefix(site.trunk.base_number) for site in pbx.sites if site.trunk is not None}
    return sorted(a for a in found if a)


def search_filter(query: str, country: str = "DE", areas: list[str] = ()) -> str:
    query = query.strip()
    if not query:
        return PERSON
    parts = [f"({attr}=*{escape_filter_chars(query)}*)" for attr in ("cn", "sn", "givenName", "o", "mail")]
    try:
        numbers = {to_e164(query, country or "DE")}
    except InvalidNumber:
        numbers = set()
    numbers |= {n for n in (in_area(query, area) for area in areas) if n}
    parts += [f"({attr}={escape_filter_chars(n)})" for n in sorted(numbers) for attr in tree.LOOKUP_ATTRIBUTES]
    return f"(&{PERSON}(|{''.join(parts)}))"


def get_entry(directory: Directory, book: Book, uid: str) -> Contact | None:
    dn = tree.entry_dn(checked_dn(directory, book), uid)
    attrs = directory.read(dn, tree.MANAGED)
    if attrs is None or b"inetOrgPerson" not in attrs.get("objectClass", []):
        return None
    return Contact.from_ldap(dn, attrs)


def find_by_numbers(directory: Directory, book: Book, numbers: list[str]) -> list[Contact]:
    """Entries of the book having any of these (E.164) numbers: duplicate detection."""
    if not numbers:
        return []
    parts = "".join(f"({attr}={escape_filter_chars(n)})" for n in numbers for attr in tree.LOOKUP_ATTRIBUTES)
    return [Contact.from_ldap(dn, attrs) for dn, attrs in
            directory.search(checked_dn(directory, book), ldap.SCOPE_ONELEVEL, f"(&{PERSON}(|{parts}))",
                             tree.MANAGED)]


# --- writing ---------------------------------------------------------------------------------------------

def save_entry(directory: Directory, book: Book, contact: Contact, *, allow_read_only: bool = False,
               outcome: dict | None = None) -> Contact:
    """Create or update one entry. An update sends only the attributes that changed, in one modify
    operation, so a failure leaves the entry as it was. `outcome["status"]` tells created/updated/unchanged."""
    contact = normalise(contact, book.pbx.country)
    book_dn = ensure_book(directory, book)
    if not contact.uid:
        contact.uid = secrets.token_hex(8)
    dn = tree.entry_dn(book_dn, contact.uid)
    old = directory.read(dn, tree.MANAGED)
    if old is not None and not allow_read_only and \
            (old.get("employeeType") or [b""])[0].decode() in tree.READ_ONLY_SOURCES:
        raise RuleViolation({"": _l("This entry comes from Exchange; change it there.")})
    new = contact.to_ldap()
    if old is None:
        directory.add(dn, ldap.modlist.addModlist(new))
        status = "created"
    else:
        # Only managed attributes are compared: anything else on the entry stays untouched.
        old_managed = {k: v for k, v in old.items() if k in tree.MANAGED}
        changes = ldap.modlist.modifyModlist(old_managed, new)
        directory.modify(dn, changes)
        status = "updated" if changes else "unchanged"
    if outcome is not None:
        outcome["status"] = status
    contact.dn = dn
    return contact


def delete_entry(directory: Directory, book: Book, contact: Contact, *, allow_read_only: bool = False) -> None:
    if contact.read_only and not allow_read_only:
        raise RuleViolation({"": _l("This entry comes from Exchange; delete it there.")})
    directory.delete(tree.entry_dn(checked_dn(directory, book), contact.uid))


# --- caller-name lookup ----------------------------------------------------------------------------------

_RANK = {"console": 0, "import": 0, "exchange": 1, "exchange-gal": 2}  # own contacts before the GAL
# Already E.164 (what the PBX and the API send): searched as is; a number nobody has simply finds nothing.
_E164 = re.compile(r"\+[1-9]\d{6,14}")


@lru_cache(maxsize=4096)  # the same callers call again and again; parsing costs about as much as the search
def _lookup_number(number: str, country: str) -> str | None:
    try:
        return to_e164(number, country)
    except InvalidNumber:
        return None


def lookup_name(directory: Directory, pbx: Pbx, number: str, user: PhoneUser | None = None) -> str | None:
    """The best name for a caller's number on a PBX: the user's private book first, then the shared book
    (entries typed in the console before those synced from Exchange contact folders, and those before
    entries from Exchange's global address list). None when nobody has the number."""
    e164 = number if _E164.fullmatch(number) else _lookup_number(number, pbx.country or "DE")
    if e164 is None:
        return None
    flt = "(|" + "".join(f"({a}={escape_filter_chars(e164)})" for a in tree.LOOKUP_ATTRIBUTES) + ")"
    base = directory.base_dn
    attrs = ["cn", "employeeType"]
    with LDAP_LOOKUP.time():   # /metrics: how long callers wait for a name
        if user is not None and user.pbx_id == pbx.id:
            found = directory.search_one(private.book_dn(directory, user), ldap.SCOPE_ONELEVEL, flt, attrs)
            if found:
                return _best(found)
        found = directory.search_one(tree.shared_dn(base, pbx.name), ldap.SCOPE_ONELEVEL, flt, attrs)
    return _best(found) if found else None


def _best(found) -> str:
    def rank(item):
        dn, attrs = item
        source = (attrs.get("employeeType") or [b""])[0].decode()
        return _RANK.get(source, 0), (attrs.get("cn") or [b""])[0].decode().casefold(), dn
    dn, attrs = min(found, key=rank)
    return (attrs.get("cn") or [b""])[0].decode()

"""What to enter on the innovaphone PBX: the reverse-lookup LDAP URL, the search base, the bind account.

In the PBX's filter `%n` is the caller's number in international form WITHOUT the "+" (e.g. 497031730090);
the book stores E.164 with "+", so the filter adds it: (|(telephoneNumber=+%n)(mobile=+%n)(homePhone=+%n)).
`%u` is the called user's name on the PBX (H.323 name, the user part of the SIP URI); the PBX looks up once
per called user. The one URL searches the PBX's subtree and takes an entry only from the shared book or from
the private book of the called user — entries directly below ou=%u,ou=private,… (console.directory.private:
private books are kept under the user's extension, so the PBX users are named by their extension). OpenLDAP
matches entryDN with dnOneLevelMatch exactly, so "%u" never reaches any other user's book.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from urllib.parse import quote, urlsplit

from ldap.filter import escape_filter_chars

from console.accounts.models import Pbx
from console.auth import tokens
from console.directory import tree
from console.directory.books import Book, ensure_book
from console.directory.connection import Directory
from console.directory.models import DirectoryToken

NUMBER_FILTER = "(|" + "".join(f"({attr}=+%n)" for attr in tree.LOOKUP_ATTRIBUTES) + ")"
USER = "%u"
SEARCH_NAME_ATTRIBUTES = "sn,givenName,o"
SEARCH_NUMBER_ATTRIBUTES = "telephoneNumber:O,mobile:M,homePhone:H"


def _server(directory: Directory) -> str:
    parts = urlsplit(directory.config.url)
    return f"{parts.scheme}://{parts.netloc}"


def reverse_filter(directory: Directory, pbx: Pbx) -> str:
    """The caller's number, in the shared book or in the private book of the called user (%u)."""
    shared = escape_filter_chars(tree.shared_dn(directory.base_dn, pbx.name))
    private_root = escape_filter_chars(tree.private_root_dn(directory.base_dn, pbx.name))
    return (f"(&{NUMBER_FILTER}(|(entryDN:dnOneLevelMatch:={shared})"
            f"(entryDN:dnOneLevelMatch:=ou={USER},{private_root})))")


def _quote(text: str, safe: str) -> str:
    """Percent-encode for the URL, leaving the PBX's placeholders %n and %u as they are."""
    return "%n".join("%u".join(quote(part, safe=safe) for part in piece.split("%u")) for piece in text.split("%n"))


def reverse_lookup_url(directory: Directory, pbx: Pbx) -> str:
    """RFC 2255: ldap://host/<base>?<attributes>?<scope>?<filter>?bindname=<dn>."""
    base = tree.pbx_dn(directory.base_dn, pbx.name)
    bind = tree.reader_dn(directory.base_dn, pbx.name)
    return (f"{_server(directory)}/{quote(base, safe='=,+-._~@')}?cn?sub?"
            f"{_quote(reverse_filter(directory, pbx), safe='=,+-._~@()|&!:')}"
            f"?bindname={quote(bind, safe='=+-._~@')}")  # RFC 2255: commas in an extension value are %2C


def innovaphone_settings(directory: Directory, pbx: Pbx) -> dict[str, str]:
    return {
        "server": _server(directory),
        "reverse_lookup_url": reverse_lookup_url(directory, pbx),
        "search_base": tree.shared_dn(directory.base_dn, pbx.name),
        "bind_dn": tree.reader_dn(directory.base_dn, pbx.name),
        "object_filter": "inetorgperson",
        "name_attributes": SEARCH_NAME_ATTRIBUTES,
        "number_attributes": SEARCH_NUMBER_ATTRIBUTES,
    }


def _ssha(password: str) -> bytes:
    salt = os.urandom(8)
    return b"{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt)


def set_reader_password(directory: Directory, pbx: Pbx) -> str:
    """Create or reset the PBX's read-only bind account; the password is returned once and stored hashed."""
    ensure_book(directory, Book(pbx))
    password = secrets.token_urlsafe(18)
    dn = tree.reader_dn(directory.base_dn, pbx.name)
    if directory.read(dn, ["cn"]) is None:
        directory.add(dn, [("objectClass", [b"applicationProcess", b"simpleSecurityObject"]),
                           ("cn", [b"reader"]), ("userPassword", [_ssha(password)])])
    else:
        import ldap
        directory.modify(dn, [(ldap.MOD_REPLACE, "userPassword", [_ssha(password)])])
    return password


def has_reader(directory: Directory, pbx: Pbx) -> bool:
    return directory.read(tree.reader_dn(directory.base_dn, pbx.name), ["cn"]) is not None


def issue_lookup_token(pbx: Pbx, name: str) -> tuple[DirectoryToken, str]:
    """A caller-name lookup token for the PBX; the plain value is returned once (console.auth.tokens)."""
    return tokens.issue(DirectoryToken, "dir_", pbx=pbx, name=name)


def revoke_lookup_token(token: DirectoryToken) -> None:
    tokens.revoke(token)

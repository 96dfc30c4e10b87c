"""The directory as the PBX sees it: OpenLDAP's own `ldapsearch`, bound as a PBX's reader account."""
from __future__ import annotations

import io
import shutil
import subprocess

import ldap.dn
from ldapurl import LDAPUrl
from ldif import LDIFRecordList

NO_SUCH_OBJECT = 32


class BadFilter(AssertionError):
    """The client refused the filter before sending it (a "*" or ")" where a value belongs)."""


def ldapsearch(url: str, bind_dn: str, password: str, base: str, scope: str = "sub",
               flt: str = "(objectClass=*)", attrs: tuple[str, ...] = ("cn",)) -> list[tuple[str, dict]]:
    """The entries `ldapsearch` prints (DN, attributes); a base the account may not see gives none."""
    command = [shutil.which("ldapsearch") or "/usr/bin/ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no",
               "-H", url, "-D", bind_dn, "-w", password, "-b", base, "-s", scope, flt, *attrs]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if result.returncode == NO_SUCH_OBJECT:
        return []
    if "Bad search filter" in result.stderr:
        raise BadFilter(result.stderr)
    assert result.returncode == 0, f"ldapsearch failed ({result.returncode}): {result.stderr}"
    records = LDIFRecordList(io.StringIO(result.stdout))
    records.parse()
    return records.all_records


def as_the_pbx(url: str, password: str, number: str, user: str) -> list[str]:
    """Exactly what the PBX does with its reverse-lookup URL: %n and %u substituted, bound with bindname."""
    parsed = LDAPUrl(url.replace("%n", number).replace("%u", user))
    server = f"{parsed.urlscheme}://{parsed.hostport}"
    scope = {0: "base", 1: "one", 2: "sub"}[parsed.scope]
    try:
        found = ldapsearch(server, parsed.who, password, parsed.dn, scope, parsed.filterstr, tuple(parsed.attrs))
    except BadFilter:
        return []  # the PBX's lookup fails: no name shown
    return [attrs["cn"][0].decode() for _, attrs in found]


def normalised(dn: str) -> str:
    return ldap.dn.dn2str(ldap.dn.str2dn(dn)).lower()


def within(dn: str, subtree: str) -> bool:
    dn, subtree = ldap.dn.str2dn(normalised(dn)), ldap.dn.str2dn(normalised(subtree))
    return len(dn) >= len(subtree) and dn[len(dn) - len(subtree):] == subtree


def binds(url: str, bind_dn: str, password: str) -> bool:
    """Whether the account signs in with this password (`ldapwhoami`, exit status 49: invalid credentials)."""
    command = [shutil.which("ldapwhoami") or "/usr/bin/ldapwhoami", "-x", "-H", url, "-D", bind_dn, "-w", password]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode in (0, 49), result.stderr
    return result.returncode == 0

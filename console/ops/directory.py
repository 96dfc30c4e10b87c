"""The directory part of a backup: every entry below the base DN as LDIF, read with paged results.

The same export works for the embedded slapd and for an external server (slapcat would need the server's
files). Entries are written parents first, so a restore can add them in file order.
"""
from __future__ import annotations

from pathlib import Path

import ldap
import ldap.dn
import ldif

from console.directory.connection import Directory

PART = "directory.ldif"


def _depth(dn: str) -> int:
    return len(ldap.dn.str2dn(dn))


def export(directory: Directory, staging: Path) -> dict:
    entries = sorted(directory.iter_search(directory.base_dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["*"]),
                     key=lambda item: (_depth(item[0]), item[0].lower()))
    with (staging / PART).open("w", encoding="utf-8") as handle:
        writer = ldif.LDIFWriter(handle, cols=1000)
        for dn, attrs in entries:
            writer.unparse(dn, attrs)
    return {"part": PART, "entries": len(entries), "base_dn": directory.base_dn}


def below_base(directory: Directory) -> int:
    """How many entries there are below the base entry (0: an empty directory)."""
    base = directory.base_dn
    return sum(1 for dn, _ in directory.iter_search(base, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"])
               if _depth(dn) > _depth(base))


def restore(directory: Directory, part: Path) -> int:
    """Add every entry of the LDIF (the base entry only if it is missing); returns how many were added."""
    with part.open("rb") as handle:
        records = ldif.LDIFRecordList(handle)
        records.parse()
    base = ldap.dn.dn2str(ldap.dn.str2dn(directory.base_dn)).lower()
    added = 0
    for dn, attrs in records.all_records:
        if ldap.dn.dn2str(ldap.dn.str2dn(dn)).lower() == base and directory.read(dn, ["1.1"]) is not None:
            continue
        directory.add(dn, list(attrs.items()))
        added += 1
    return added

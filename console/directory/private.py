"""Private phonebooks where the PBX finds them, and for their owner only.

The PBX has one reverse-lookup URL (console.directory.pbx_settings); in it `%u` stands for the called user's
name on the PBX (the H.323 name, the user part of the SIP URI). A private book therefore lives under the
user's extension — the PBX users are named by their extension —

    ou=<extension>,ou=private,ou=<PBX>,ou=pbx,<base>      description: phone-user <id>

and the URL's filter takes the entries directly below `ou=%u,ou=private,…` besides the shared book's.

The container also names its owner. Extensions change and are handed on, users are deleted: a book must
follow its owner and must never be inherited by the next holder of an extension. So every use of a private
book checks the owner of the container at the extension (`book_dn`), and `reconcile` brings one PBX's
containers in line with its users — a book moves with its owner to a new extension, the book of a user who
is gone is deleted with its entries, a container nobody owns is removed. It runs after every commit that
added, removed or re-numbered users of a PBX (the session hook below), whenever a check finds a container
out of line, and every ten minutes for every PBX (console.directory.jobs), which repairs what a directory
outage at commit time left behind.
"""
from __future__ import annotations

import logging
import re

import ldap
import ldap.dn
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from console.accounts.models import PhoneUser, Pbx
from console.directory import tree
from console.directory.connection import Directory, DirectoryUnavailable

log = logging.getLogger("console.directory")

_OWNER = "phone-user "
_LEGACY_RDN = re.compile(r"user-(\d+)")  # the books' RDN before they were keyed by extension


def _norm(dn: str) -> str:
    return ldap.dn.dn2str(ldap.dn.str2dn(dn)).lower()


def owner_of(dn: str, attrs: dict[str, list[bytes]]) -> int | None:
    """The phone user a private book container belongs to, or None when it names nobody."""
    for value in attrs.get("description") or []:
        text = value.decode(errors="replace")
        if text.startswith(_OWNER) and text[len(_OWNER):].isdigit():
            return int(text[len(_OWNER):])
    attr, value, _ = ldap.dn.str2dn(dn)[0][0]
    legacy = _LEGACY_RDN.fullmatch(value) if attr.lower() == "ou" else None
    return int(legacy.group(1)) if legacy else None


def _container(user: PhoneUser) -> dict[str, list[bytes]]:
    return {"objectClass": [b"organizationalUnit"], "ou": [user.extension.encode()],
            "description": [f"{_OWNER}{user.id}".encode()]}


def book_dn(directory: Directory, user: PhoneUser) -> str:
    """The DN of the user's private book, once the container there (if any) is known to be the user's."""
    dn = tree.private_dn(directory.base_dn, user.pbx.name, user.extension)
    attrs = directory.read(dn, ["description"])
    if attrs is None or owner_of(dn, attrs) != user.id:
        reconcile(directory, user.pbx.name, {u.id: u.extension for u in user.pbx.users})
    return dn


def ensure_book(directory: Directory, user: PhoneUser) -> str:
    """Create the containers down to the user's private book; returns its DN."""
    dn = book_dn(directory, user)
    base, pbx_name = directory.base_dn, user.pbx.name
    directory.ensure(f"ou=pbx,{base}", tree.ou("pbx"))
    directory.ensure(tree.pbx_dn(base, pbx_name), tree.ou(pbx_name))
    directory.ensure(tree.private_root_dn(base, pbx_name), tree.ou("private"))
    directory.ensure(dn, _container(user))
    return dn


def reconcile(directory: Directory, pbx_name: str, users: dict[int, str]) -> None:
    """Make the private books of one PBX match its users ({phone user id: extension})."""
    root = tree.private_root_dn(directory.base_dn, pbx_name)
    held: dict[int, str] = {}
    for dn, attrs in directory.search(root, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["description"]):
        owner = owner_of(dn, attrs)
        if owner in users and owner not in held:
            held[owner] = dn
        else:  # its owner is gone, it names nobody, or it is a second one: nobody may ever find it
            log.info("deleting private phonebook %s (owner %s is no user of %s)", dn, owner, pbx_name)
            directory.delete_tree(dn)
    moving = {owner: dn for owner, dn in held.items()
              if _norm(dn) != _norm(tree.private_dn(directory.base_dn, pbx_name, users[owner]))}
    # Two steps, so that two users who swapped extensions do not collide.
    for owner, dn in moving.items():
        directory.rename(dn, f"ou=moving-{owner}")
        moving[owner] = f"ou=moving-{owner},{root}"
    for owner, dn in moving.items():
        directory.rename(dn, f"ou={ldap.dn.escape_dn_chars(users[owner])}")
        new_dn = tree.private_dn(directory.base_dn, pbx_name, users[owner])
        directory.modify(new_dn, [(ldap.MOD_REPLACE, "description", [f"{_OWNER}{owner}".encode()])])


def reconcile_pbx(directory: Directory, pbx: Pbx) -> None:
    reconcile(directory, pbx.name, {u.id: u.extension for u in pbx.users})


# --- after a commit that changed a PBX's users ---------------------------------------------------------

_PENDING = "directory.private_books"


@event.listens_for(Session, "after_flush")
def _note_changed_users(session: Session, flush_context) -> None:
    """Remember, per PBX whose users were added, removed or re-numbered, its users as they now are."""
    changed = {u.pbx_id for u in list(session.new) + list(session.deleted) if isinstance(u, PhoneUser)}
    changed |= {u.pbx_id for u in session.dirty if isinstance(u, PhoneUser)
                and session.is_modified(u) and _renumbered(u)}
    changed.discard(None)
    if not changed:
        return
    pending = session.info.setdefault(_PENDING, {})
    conn = session.connection()
    for pbx_id in changed:
        name = conn.execute(select(Pbx.name).where(Pbx.id == pbx_id)).scalar()
        users = dict(conn.execute(select(PhoneUser.id, PhoneUser.extension).where(PhoneUser.pbx_id == pbx_id)).all())
        if name is not None:
            pending[pbx_id] = (name, users)


def _renumbered(user: PhoneUser) -> bool:
    state = inspect(user)
    return state.attrs.extension.history.has_changes() or state.attrs.pbx_id.history.has_changes()


@event.listens_for(Session, "after_commit")
def _reconcile_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from flask import has_app_context
    if not has_app_context():
        return
    from console.directory.connection import get_directory
    for name, users in pending.values():
        try:
            reconcile(get_directory(), name, users)
        except DirectoryUnavailable as exc:  # the job repairs it within ten minutes; no more waiting now
            log.warning("private phonebooks not brought in line with their users: %s", exc)
            return
        except ldap.LDAPError as exc:
            log.warning("private phonebooks of %s not brought in line with its users: %s", name, exc)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)

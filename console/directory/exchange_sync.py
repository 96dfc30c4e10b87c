"""The Exchange sync itself: exchangelib against an account's EWS endpoint, its contact folders and the GAL
written into the customer's shared book. A run's life (queued, running, done or failed), the queue and the
credentials are in console.directory.exchange; the job commits at every checkpoint this module yields.

Incremental: per folder the sync state exchangelib returns is stored once the change generator has been
fully consumed; the next run asks only for what changed since. When the server rejects the state
(ErrorInvalidSyncStateData) the folder is synced in full and entries that are no longer there are removed.
Server back-off (ErrorServerBusy with BackOffMilliseconds) is honoured by exchangelib's FaultTolerance
policy up to a limit; beyond it the run ends and the schedule tries again later.

When the account includes the global address list (GAL), it is read with ResolveNames (the "GAL Contacts"
folder is not the GAL): at most 100 candidates per call and no paging, so the sync walks name prefixes and
narrows every prefix that came back full. ResolveNames has no sync state, so every run reads the whole
list and compares it with what the last run wrote (see Runner.sync_gal).

An entry's uid is derived from the account, the folder (or the GAL) and the Exchange item id (or the GAL
entry's address), so a run that stops half-way can simply run again.
"""
from __future__ import annotations

import hashlib
import logging
import time
import warnings
from collections.abc import Iterator

import ldap
from ldap.filter import escape_filter_chars
from sqlalchemy import select

from console import clock
from console.directory import books
from console.directory.books import Book
from console.directory.connection import Directory
from console.directory.models import ExchangeAccount, ExchangeFolderState, SyncRun
from console.directory.tree import SOURCE_EXCHANGE, SOURCE_EXCHANGE_GAL, Contact
from console.errors import RuleViolation
from console.extensions import db

PHONE_LABELS = {"BusinessPhone": "phone", "MobilePhone": "mobile", "HomePhone": "home", "BusinessFax": "fax"}
CHECKPOINT_EVERY = 200  # progress is committed (for the status fragment) this often
MAX_BACK_OFF_SECONDS = 300

# The GAL: ResolveNames answers an ambiguous name (a prefix of a display name, first or last name, alias or
# address) with at most this many candidates and says nothing that would let us page past them.
RESOLVE_NAMES_LIMIT = 100
# Prefixes are built from the characters an Exchange alias may contain (every GAL entry has an alias and an
# SMTP address made of them), so narrowing a full prefix by one more character always gets closer to each entry.
GAL_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789.-_@!#$%&'*+/?^`{|}~"
GAL_MAX_PREFIX = 32  # a prefix this long still matching 100 entries: give up narrowing (reported, nothing deleted)
GAL_KEY = "gal:"  # the "folder" part of GAL entries' uids (Exchange folder ids are base64: never a colon)
GAL_GROUPS = {"PublicDL", "PrivateDL", "GroupMailbox"}  # distribution lists and groups: not phonebook entries


class _QuietResolveNames(logging.Filter):
    """exchangelib logs a warning for every ResolveNames answer with several candidates — for the GAL walk,
    nearly every call; those say nothing and would flood the log."""
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Multiple results were found."


logging.getLogger("exchangelib.services.common").addFilter(_QuietResolveNames())


def _exchange_account(account: ExchangeAccount, password: str, retry_policy=None):
    from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, FaultTolerance, Version
    config = Configuration(service_endpoint=account.endpoint, auth_type=BASIC,
                           credentials=Credentials(account.username, password),
                           version=Version(build=Build(15, 1, 2507, 6)),
                           retry_policy=retry_policy or FaultTolerance(max_wait=MAX_BACK_OFF_SECONDS))
    return Account(primary_smtp_address=account.mailbox, config=config, autodiscover=False, access_type=DELEGATE)


def connect(account: ExchangeAccount, password: str, retry_policy=None):
    """Check the credentials failing fast (under FaultTolerance exchangelib retries a 401 like a busy server),
    then sync with the patient policy."""
    from exchangelib import FailFast, FaultTolerance
    from exchangelib.errors import ErrorServerBusy, RateLimitError
    patient = retry_policy or FaultTolerance(max_wait=MAX_BACK_OFF_SECONDS)
    ews = _exchange_account(account, password, FailFast())
    try:
        ews.root  # one GetFolder
    except ErrorServerBusy as exc:
        wait = exc.back_off or 1
        if wait > getattr(patient, "max_wait", MAX_BACK_OFF_SECONDS):
            raise RateLimitError("Max timeout reached", wait=wait) from None
        time.sleep(wait)  # the pause the server asked for
    ews.protocol.config.retry_policy = patient
    return ews


def folders_named(ews_account, names: list[str]) -> list:
    contacts = ews_account.contacts
    wanted = {n.casefold() for n in names}
    found = [contacts] if "contacts" in wanted or contacts.name.casefold() in wanted else []
    if wanted - {"contacts", contacts.name.casefold()}:
        found += [f for f in contacts.children if f.name.casefold() in wanted]
    return found


def _uid(account: ExchangeAccount, folder_key: str, item_id: str) -> str:
    return f"{_prefix(account, folder_key)}{hashlib.sha256(item_id.encode()).hexdigest()[:24]}"


def _prefix(account: ExchangeAccount, folder_key: str) -> str:
    return f"ews{account.id}-{hashlib.sha256(folder_key.encode()).hexdigest()[:8]}-"


def to_contact(item, source: str = SOURCE_EXCHANGE) -> Contact:
    contact = Contact(given_name=item.given_name or "", surname=item.surname or "",
                      company=item.company_name or "", title=item.job_title or "",
                      note=str(item.body or ""), source=source)
    for address in item.email_addresses or []:
        if address.email:
            email = address.email
            contact.email = email[5:] if email[:5].lower() == "smtp:" else email  # the GAL's "SMTP:a@b"
            break
    for number in item.phone_numbers or []:
        name = PHONE_LABELS.get(number.label)
        if name and number.phone_number and not getattr(contact, name):
            setattr(contact, name, number.phone_number)
    if not (contact.surname or contact.company or contact.given_name):
        contact.surname = item.display_name or ""
    return contact


def to_gal_contact(mailbox, item) -> Contact:
    """A ResolveNames resolution (Mailbox, Contact) as a phonebook entry; the mailbox's address wins."""
    if item is not None:
        contact = to_contact(item, SOURCE_EXCHANGE_GAL)
    else:
        contact = Contact(surname=mailbox.name or "", source=SOURCE_EXCHANGE_GAL)
    if mailbox is not None and mailbox.email_address:
        contact.email = mailbox.email_address
    return contact


def _gal_key(mailbox, item) -> str | None:
    """What identifies a GAL entry across runs: its SMTP address, else its display name."""
    if mailbox is not None and mailbox.email_address:
        return mailbox.email_address.casefold()
    name = (mailbox.name if mailbox is not None else None) or (item.display_name if item is not None else None)
    return f"name:{name.casefold()}" if name else None


def _resolve(ews_account, prefix: str) -> list[tuple]:
    """One ResolveNames call against the directory only (not the mailbox's own contacts, which the folder
    sync reads); "no results" comes back as an exception object, not as an error."""
    found = ews_account.protocol.resolve_names([prefix], return_full_contact_data=True,
                                               search_scope="ActiveDirectory")
    return [r for r in found if not isinstance(r, Exception)]


class Runner:
    """One run's sync. sync_folder and sync_gal are generators that yield at each checkpoint, where the job commits
    the progress so far: the sync itself never commits."""
    def __init__(self, run: SyncRun, directory: Directory, book: Book):
        self.run, self.directory, self.book = run, directory, book
        self.reasons: list[str] = []

    def step(self) -> bool:
        """Count one item; True at a checkpoint."""
        self.run.progress += 1
        return self.run.progress % CHECKPOINT_EVERY == 0

    def upsert(self, uid: str, contact: Contact, label: str) -> None:
        contact.uid = uid
        label = contact.name or label
        outcome: dict = {}
        try:
            books.save_entry(self.directory, self.book, contact, allow_read_only=True, outcome=outcome)
        except RuleViolation as exc:
            self.run.skipped += 1
            self.reasons.append(f"{label}: " + exc.text("; "))
            return
        if outcome["status"] == "created":
            self.run.created += 1
        elif outcome["status"] == "updated":
            self.run.updated += 1

    def remove(self, uid: str) -> None:
        if self.directory.delete(f"uid={uid},{self.book.dn(self.directory)}"):
            self.run.deleted += 1

    def sync_folder(self, account: ExchangeAccount, folder) -> Iterator[None]:
        from exchangelib.errors import ErrorInvalidSyncStateData
        key = folder.id
        state = db.session.scalar(select(ExchangeFolderState).where(
            ExchangeFolderState.account_id == account.id, ExchangeFolderState.folder == key))
        if state is None:
            state = ExchangeFolderState(account_id=account.id, folder=key)
            db.session.add(state)
        try:
            yield from self._changes(account, folder, state.sync_state)
        except ErrorInvalidSyncStateData:
            self.reasons.append(f"{folder.name}: sync state rejected by the server; full resync")
            yield from self._changes(account, folder, None)
        state.sync_state = folder.item_sync_state  # set by exchangelib only once every change was consumed
        state.updated_at = clock.now()

    def _changes(self, account: ExchangeAccount, folder, sync_state: str | None) -> Iterator[None]:
        full = not sync_state
        if full:
            self.run.full = True
            self.run.total = (self.run.total or 0) + (folder.total_count or 0)
        folder.item_sync_state = None
        seen: set[str] = set()
        for change, item in folder.sync_items(sync_state=sync_state or None):
            if change in ("create", "update"):
                uid = _uid(account, folder.id, item.id)
                seen.add(uid)
                self.upsert(uid, to_contact(item), item.display_name or item.id[:12])
            elif change == "delete":
                self.remove(_uid(account, folder.id, item.id))
            if self.step():
                yield
        if full:  # whatever the server no longer has goes
            self.remove_stale(SOURCE_EXCHANGE, _prefix(account, folder.id), seen)

    def remove_stale(self, source: str, uid_prefix: str, seen: set[str]) -> None:
        """Delete this source's entries under `uid_prefix` that are not in `seen`."""
        prefix = escape_filter_chars(uid_prefix)
        stale = self.directory.search(self.book.dn(self.directory), ldap.SCOPE_ONELEVEL,
                                      f"(&(employeeType={escape_filter_chars(source)})(uid={prefix}*))", ["uid"])
        for dn, attrs in stale:
            if attrs["uid"][0].decode() not in seen and self.directory.delete(dn):
                self.run.deleted += 1

    def sync_gal(self, account: ExchangeAccount, ews) -> Iterator[None]:
        """Read the whole global address list and make the book's GAL entries equal to it.

        ResolveNames returns at most 100 candidates per call and cannot page, so prefixes are walked: every
        prefix whose answer came back full is narrowed by one more character. An entry turns up under
        several prefixes (first name, last name, alias, address); the first one counts.
        ResolveNames has no sync state either: there is no incremental "what changed" — every run reads the
        full set and compares it with the entries the last runs wrote; whatever is no longer in the GAL is
        deleted. Only a walk that finished completely deletes anything: an error ends the run before the
        comparison, and a prefix that could not be narrowed any further is reported and deletes nothing.
        """
        self.run.total = None  # the size of the GAL is not known in advance
        # exchangelib warns whenever an answer was cut at 100 candidates; the walk below narrows the prefix.
        warnings.filterwarnings("ignore", message=r"The ResolveNames service returns at most", category=UserWarning)
        marker = _gal_marker(account)
        if marker is None:  # remembers that this book holds GAL entries (see drop_gal), before any is written
            marker = ExchangeFolderState(account_id=account.id, folder=GAL_KEY)
            db.session.add(marker)
            db.session.flush()
        uid_prefix = _prefix(account, GAL_KEY)
        seen: set[str] = set()
        complete = True
        todo = list(reversed(GAL_ALPHABET))  # a stack, popped in alphabetical order
        while todo:
            prefix = todo.pop()
            resolutions = _resolve(ews, prefix)
            for mailbox, item in resolutions:
                if mailbox is not None and mailbox.mailbox_type in GAL_GROUPS:
                    continue
                key = _gal_key(mailbox, item)
                if key is None:
                    self.run.skipped += 1
                    self.reasons.append(f"GAL ({prefix}…): an entry without a name or address")
                    continue
                uid = _uid(account, GAL_KEY, key)
                if uid in seen:
                    continue
                seen.add(uid)
                self.upsert(uid, to_gal_contact(mailbox, item), key)
                if self.step():
                    yield
            if len(resolutions) >= RESOLVE_NAMES_LIMIT:  # cut off: there may be more behind this prefix
                if len(prefix) >= GAL_MAX_PREFIX:
                    complete = False
                    self.reasons.append(f"GAL: more than {RESOLVE_NAMES_LIMIT} entries start with “{prefix}”; "
                                        "some may be missing, so no GAL entries were deleted")
                else:
                    todo += [prefix + c for c in reversed(GAL_ALPHABET)]
        if complete:
            self.remove_stale(SOURCE_EXCHANGE_GAL, uid_prefix, seen)
        marker.updated_at = clock.now()

    def drop_gal(self, account: ExchangeAccount) -> None:
        """The account no longer includes the GAL: the entries earlier runs took from it go (looked for only
        when a run wrote some, so a sync without the GAL never searches the whole book)."""
        marker = _gal_marker(account)
        if marker is not None:
            self.remove_stale(SOURCE_EXCHANGE_GAL, _prefix(account, GAL_KEY), set())
            db.session.delete(marker)


def _gal_marker(account: ExchangeAccount) -> ExchangeFolderState | None:
    """The GAL has no sync state; its row in exchange_folder_state (folder "gal:", no state) only marks
    that GAL entries were written for this account."""
    return db.session.scalar(select(ExchangeFolderState).where(
        ExchangeFolderState.account_id == account.id, ExchangeFolderState.folder == GAL_KEY))



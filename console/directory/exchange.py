"""Exchange (EWS) contact folders synced into a customer's shared book with exchangelib (§4.2).

Incremental: per folder the sync state exchangelib returns is stored once the change generator has been
fully consumed; the next run asks only for what changed since. When the server rejects the state
(ErrorInvalidSyncStateData) the folder is synced in full and entries that are no longer there are removed.
Server back-off (ErrorServerBusy with BackOffMilliseconds) is honoured by exchangelib's FaultTolerance
policy up to a limit; beyond it the run ends and the schedule tries again later.

An entry's uid is derived from the account, the folder and the Exchange item id, so a run that stops
half-way can simply run again. The password is stored as a Fernet token and decrypted only to connect.
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

import ldap
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from ldap.filter import escape_filter_chars
from sqlalchemy import select

from console import clock
from console.accounts.models import Customer
from console.directory import books
from console.directory.books import Book
from console.directory.connection import Directory
from console.directory.models import ExchangeAccount, ExchangeFolderState, SyncRun
from console.directory.tree import SOURCE_EXCHANGE, Contact
from console.errors import RuleViolation
from console.extensions import db

log = logging.getLogger("console.directory.exchange")

PHONE_LABELS = {"BusinessPhone": "phone", "MobilePhone": "mobile", "HomePhone": "home", "BusinessFax": "fax"}
COMMIT_EVERY = 200  # progress becomes visible to the status fragment this often
MAX_BACK_OFF_SECONDS = 300


# --- credentials -----------------------------------------------------------------------------------------

def _fernet() -> Fernet:
    key = current_app.extensions["settings"].directory_fernet_key
    if not key:
        raise RuleViolation(password=_l("DIRECTORY_KEY is not configured; Exchange passwords cannot be stored."))
    return Fernet(key.encode())


def encrypt(password: str) -> bytes:
    return _fernet().encrypt(password.encode())


def decrypt(secret: bytes) -> str:
    try:
        return _fernet().decrypt(secret).decode()
    except InvalidToken:
        raise RuleViolation(password=_l("The stored password cannot be decrypted with the configured "
                                        "DIRECTORY_KEY; enter it again.")) from None


def save_account(account: ExchangeAccount | None, *, customer: Customer, endpoint: str, username: str,
                 password: str | None, mailbox: str, folders: str, interval_minutes: int,
                 enabled: bool) -> ExchangeAccount:
    if not endpoint.startswith(("https://", "http://")):
        raise RuleViolation(endpoint=_l("Enter the full EWS address, e.g. https://mail.example/EWS/Exchange.asmx."))
    if account is None:
        if not password:
            raise RuleViolation(password=_l("Enter the password of the Exchange account."))
        account = ExchangeAccount(customer=customer)
        db.session.add(account)
    if password:
        account.secret = encrypt(password)
    account.endpoint, account.username, account.mailbox = endpoint.strip(), username.strip(), mailbox.strip()
    account.folders = "\n".join(f.strip() for f in (folders or "").splitlines() if f.strip())
    account.interval_minutes, account.enabled = interval_minutes, enabled
    db.session.flush()
    return account


# --- queueing --------------------------------------------------------------------------------------------

STALE_AFTER = timedelta(hours=2)


def active_run(account: ExchangeAccount) -> SyncRun | None:
    run = db.session.scalar(select(SyncRun).where(SyncRun.account_id == account.id,
                                                  SyncRun.status.in_(("queued", "running")))
                            .order_by(SyncRun.id.desc()))
    if run is not None and run.status == "running" and run.started_at and clock.now() - run.started_at > STALE_AFTER:
        run.status, run.error, run.finished_at = "failed", "interrupted (the worker stopped)", clock.now()
        return None
    return run


def request_sync(account: ExchangeAccount, trigger: str = "manual") -> SyncRun:
    """Queue a run unless one is already queued or running (then that one is returned)."""
    run = active_run(account)
    if run is None:
        run = SyncRun(account=account, trigger=trigger, status="queued", requested_at=clock.now())
        db.session.add(run)
        db.session.flush()
    return run


def queue_due_runs() -> int:
    """Queue a scheduled run for every enabled account whose interval has passed since its last run."""
    queued = 0
    now = clock.now()
    for account in db.session.scalars(select(ExchangeAccount).where(ExchangeAccount.enabled.is_(True))):
        last = db.session.scalar(select(SyncRun.requested_at).where(SyncRun.account_id == account.id)
                                 .order_by(SyncRun.requested_at.desc()).limit(1))
        if last is None or (now - last).total_seconds() >= account.interval_minutes * 60:
            if active_run(account) is None:
                request_sync(account, "schedule")
                queued += 1
    return queued


# --- the sync --------------------------------------------------------------------------------------------

def _exchange_account(account: ExchangeAccount, retry_policy=None):
    from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, FaultTolerance, Version
    config = Configuration(service_endpoint=account.endpoint, auth_type=BASIC,
                           credentials=Credentials(account.username, decrypt(account.secret)),
                           version=Version(build=Build(15, 1, 2507, 6)),
                           retry_policy=retry_policy or FaultTolerance(max_wait=MAX_BACK_OFF_SECONDS))
    return Account(primary_smtp_address=account.mailbox, config=config, autodiscover=False, access_type=DELEGATE)


def _connect(account: ExchangeAccount, retry_policy=None):
    """Check the credentials failing fast (under FaultTolerance exchangelib retries a 401 like a busy server),
    then sync with the patient policy."""
    from exchangelib import FailFast, FaultTolerance
    from exchangelib.errors import ErrorServerBusy, RateLimitError
    patient = retry_policy or FaultTolerance(max_wait=MAX_BACK_OFF_SECONDS)
    ews = _exchange_account(account, FailFast())
    try:
        ews.root  # one GetFolder
    except ErrorServerBusy as exc:
        wait = exc.back_off or 1
        if wait > getattr(patient, "max_wait", MAX_BACK_OFF_SECONDS):
            raise RateLimitError("Max timeout reached", wait=wait) from None
        time.sleep(wait)  # the pause the server asked for
    ews.protocol.config.retry_policy = patient
    return ews


def _folders(ews_account, names: list[str]) -> list:
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


def to_contact(item) -> Contact:
    contact = Contact(given_name=item.given_name or "", surname=item.surname or "",
                      company=item.company_name or "", title=item.job_title or "",
                      note=str(item.body or ""), source=SOURCE_EXCHANGE)
    for address in item.email_addresses or []:
        if address.email:
            contact.email = address.email
            break
    for number in item.phone_numbers or []:
        name = PHONE_LABELS.get(number.label)
        if name and number.phone_number and not getattr(contact, name):
            setattr(contact, name, number.phone_number)
    if not (contact.surname or contact.company or contact.given_name):
        contact.surname = item.display_name or ""
    return contact


class _Runner:
    def __init__(self, run: SyncRun, directory: Directory, book: Book, commit):
        self.run, self.directory, self.book, self.commit = run, directory, book, commit
        self.reasons: list[str] = []

    def step(self) -> None:
        self.run.progress += 1
        if self.run.progress % COMMIT_EVERY == 0:
            self.commit()

    def upsert(self, uid: str, item) -> None:
        contact = to_contact(item)
        contact.uid = uid
        label = contact.name or item.display_name or item.id[:12]
        outcome: dict = {}
        try:
            books.save_entry(self.directory, self.book, contact, allow_read_only=True, outcome=outcome)
        except RuleViolation as exc:
            self.run.skipped += 1
            self.reasons.append(f"{label}: " + "; ".join(str(m) for m in exc.errors.values()))
            return
        if outcome["status"] == "created":
            self.run.created += 1
        elif outcome["status"] == "updated":
            self.run.updated += 1

    def remove(self, uid: str) -> None:
        if self.directory.delete(f"uid={uid},{self.book.dn(self.directory)}"):
            self.run.deleted += 1

    def sync_folder(self, account: ExchangeAccount, folder) -> None:
        from exchangelib.errors import ErrorInvalidSyncStateData
        key = folder.id
        state = db.session.scalar(select(ExchangeFolderState).where(
            ExchangeFolderState.account_id == account.id, ExchangeFolderState.folder == key))
        if state is None:
            state = ExchangeFolderState(account_id=account.id, folder=key)
            db.session.add(state)
        try:
            self._changes(account, folder, state.sync_state)
        except ErrorInvalidSyncStateData:
            self.reasons.append(f"{folder.name}: sync state rejected by the server; full resync")
            self._changes(account, folder, None)
        state.sync_state = folder.item_sync_state  # set by exchangelib only once every change was consumed
        state.updated_at = clock.now()

    def _changes(self, account: ExchangeAccount, folder, sync_state: str | None) -> None:
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
                self.upsert(uid, item)
            elif change == "delete":
                self.remove(_uid(account, folder.id, item.id))
            self.step()
        if full:  # whatever the server no longer has goes
            prefix = escape_filter_chars(_prefix(account, folder.id))
            stale = self.directory.search(self.book.dn(self.directory), ldap.SCOPE_ONELEVEL,
                                          f"(&(employeeType={SOURCE_EXCHANGE})(uid={prefix}*))", ["uid"])
            for dn, attrs in stale:
                if attrs["uid"][0].decode() not in seen and self.directory.delete(dn):
                    self.run.deleted += 1


def run_sync(run: SyncRun, directory: Directory, *, retry_policy=None, commit=None) -> SyncRun:
    """Carry out a queued run. `commit` makes progress visible (the job passes db.session.commit)."""
    from exchangelib.errors import EWSError, RateLimitError, TransportError, UnauthorizedError
    commit = commit or db.session.flush
    account = run.account
    run.status, run.started_at = "running", clock.now()
    commit()
    runner = _Runner(run, directory, Book(account.customer.pbx), commit)
    try:
        ews = _connect(account, retry_policy)
        folders = _folders(ews, account.folder_names)
        have = {f.name.casefold() for f in folders} | {"contacts"}
        runner.reasons += [f"{name}: no such contact folder" for name in account.folder_names
                           if name.casefold() not in have]
        for folder in folders:
            runner.sync_folder(account, folder)
        run.status = "done"
    except RateLimitError as exc:
        run.status, run.error = "failed", f"Exchange is busy (asked to wait {exc.wait:.0f} s); the next run retries"
    except UnauthorizedError:
        run.status, run.error = "failed", "Exchange refused the user name or password"
    except RuleViolation as exc:
        run.status, run.error = "failed", "; ".join(str(m) for m in exc.errors.values())
    except (EWSError, TransportError, OSError) as exc:
        log.warning("exchange sync %s failed: %s", run.id, type(exc).__name__)
        run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
    run.report = "\n".join(runner.reasons) or None
    run.finished_at = clock.now()
    commit()
    return run

"""Exchange (EWS) contact folders synced into a customer's shared book (§4.2): the accounts and their encrypted
passwords, the queue of sync runs, and a run's life from queued to done or failed. The sync itself (folders, the
GAL, what an entry looks like) is in console.directory.exchange_sync; the job commits at each of its checkpoints.

The password is stored as a Fernet token and decrypted only to connect.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console import clock
from console.accounts.models import Customer
from console.directory import exchange_sync
from console.directory.books import Book
from console.directory.connection import Directory
from console.directory.models import ExchangeAccount, SyncRun, SyncStatus
from console.errors import RuleViolation
from console.extensions import db

log = logging.getLogger("console.directory.exchange")


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
                 enabled: bool, include_gal: bool = False) -> ExchangeAccount:
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
    account.interval_minutes, account.enabled, account.include_gal = interval_minutes, enabled, include_gal
    db.session.flush()
    return account


# --- queueing --------------------------------------------------------------------------------------------

STALE_AFTER = timedelta(hours=2)


def active_run(account: ExchangeAccount) -> SyncRun | None:
    run = db.session.scalar(select(SyncRun).where(SyncRun.account_id == account.id,
                                                  SyncRun.status.in_((SyncStatus.QUEUED, SyncStatus.RUNNING)))
                            .order_by(SyncRun.id.desc()))
    if run is not None and run.status is SyncStatus.RUNNING and run.started_at \
            and clock.now() - run.started_at > STALE_AFTER:
        run.status, run.error, run.finished_at = SyncStatus.FAILED, "interrupted (the worker stopped)", clock.now()
        return None
    return run


def request_sync(account: ExchangeAccount, trigger: str = "manual") -> SyncRun:
    """Queue a run unless one is already queued or running (then that one is returned)."""
    run = active_run(account)
    if run is None:
        run = SyncRun(account=account, trigger=trigger, status=SyncStatus.QUEUED, requested_at=clock.now())
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


# --- a run -----------------------------------------------------------------------------------------------

def start_run(run_id: int) -> SyncRun | None:
    """Take a queued run (flushes): running from now on. None when it is no longer queued."""
    run = db.session.get(SyncRun, run_id, populate_existing=True)
    if run is None or run.status is not SyncStatus.QUEUED:
        return None
    run.status, run.started_at = SyncStatus.RUNNING, clock.now()
    db.session.flush()
    return run


def sync_steps(run: SyncRun, directory: Directory, *, retry_policy=None) -> Iterator[None]:
    """Carry out a started run, yielding at every checkpoint; the caller commits there (the job does, so the
    status fragment shows progress). A failure is recorded on the run, never raised."""
    from exchangelib.errors import EWSError, RateLimitError, TransportError, UnauthorizedError
    account = run.account
    runner = exchange_sync.Runner(run, directory, Book(account.customer.pbx))
    try:
        ews = exchange_sync.connect(account, decrypt(account.secret), retry_policy)
        folders = exchange_sync.folders_named(ews, account.folder_names)
        have = {f.name.casefold() for f in folders} | {"contacts"}
        runner.reasons += [f"{name}: no such contact folder" for name in account.folder_names
                           if name.casefold() not in have]
        for folder in folders:
            yield from runner.sync_folder(account, folder)
        if account.include_gal:
            yield from runner.sync_gal(account, ews)
        else:
            runner.drop_gal(account)
        run.status = SyncStatus.DONE
    except RateLimitError as exc:
        run.status = SyncStatus.FAILED
        run.error = f"Exchange is busy (asked to wait {exc.wait:.0f} s); the next run retries"
    except UnauthorizedError:
        run.status, run.error = SyncStatus.FAILED, "Exchange refused the user name or password"
    except RuleViolation as exc:
        run.status, run.error = SyncStatus.FAILED, exc.text("; ")
    except (EWSError, TransportError, OSError) as exc:
        log.warning("exchange sync %s failed: %s", run.id, type(exc).__name__)
        run.status, run.error = SyncStatus.FAILED, f"{type(exc).__name__}: {exc}"[:1000]
    run.report = "\n".join(runner.reasons) or None
    run.finished_at = clock.now()
    db.session.flush()
    yield


def run_sync(run: SyncRun, directory: Directory, *, retry_policy=None) -> SyncRun:
    """Start and carry out a queued run in the caller's transaction (flushes only; tests and benchmarks)."""
    start_run(run.id)
    for _checkpoint in sync_steps(run, directory, retry_policy=retry_policy):
        db.session.flush()
    return run

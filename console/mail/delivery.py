"""The mail worker: claims due outbox rows, sends them over SMTP, records the outcome row by row.

Claiming marks rows `sending` in a short committed transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
two workers never claim the same row; SQLite serialises writers). Each outcome is committed on its own, so a
worker that dies loses at most the message it was sending; a claim older than STALE_CLAIM is released.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select, update

from console import clock
from console.extensions import db
from console.mail.backoff import next_attempt
from console.mail.models import OutboxMessage, OutboxState
from console.mail.smtp import SmtpTarget

log = logging.getLogger("console.mail")
STALE_CLAIM = timedelta(minutes=15)
FAILURE_NOTICE = "mail_failed"


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed"


class _Outcome(Exception):
    """How one attempt ended when it did not end in `sent`."""

    def __init__(self, reason: str, permanent: bool, connection_lost: bool = False):
        super().__init__(reason)
        self.reason, self.permanent, self.connection_lost = reason, permanent, connection_lost


def deliver_due(batch: int = 100) -> DeliveryReport:
    """Send every due message, batch by batch, until none is due. Commits as it goes."""
    report = DeliveryReport()
    _release_stale_claims()
    target = SmtpTarget.from_settings(current_app.extensions["settings"])
    while ids := _claim(batch):
        _send_batch(target, ids, report)
    return report


def _release_stale_claims() -> None:
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.state == OutboxState.SENDING,
                              OutboxMessage.claimed_at < clock.now() - STALE_CLAIM)
                       .values(state=OutboxState.QUEUED), execution_options={"synchronize_session": False})
    db.session.commit()


def _claim(batch: int) -> list[int]:
    now = clock.now()
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.state == OutboxState.QUEUED, OutboxMessage.next_attempt_at <= now)
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(due))
    if not candidates:
        db.session.commit()
        return []
    claimed = list(db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), OutboxMessage.state == OutboxState.QUEUED)
        .values(state=OutboxState.SENDING, claimed_at=now).returning(OutboxMessage.id),
        execution_options={"synchronize_session": False}))
    db.session.commit()
    return sorted(claimed)


def _send_batch(target: SmtpTarget, ids: list[int], report: DeliveryReport) -> None:
    envelope_from = parseaddr(current_app.extensions["settings"].mail_from)[1]
    conn: smtplib.SMTP | None = None
    broken: _Outcome | None = None  # once the server is unreachable, the rest of the batch waits too
    claimed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
                                 .execution_options(populate_existing=True)).all()
    try:
        for row in claimed:
            recipient, raw = row.recipient, row.raw
            _end_read()  # no transaction (on SQLite: no write lock) while the server is talked to
            try:
                if broken:
                    raise broken
                if conn is None:
                    conn = _connect(target)
                _send_one(conn, envelope_from, recipient, raw)
            except _Outcome as outcome:
                if outcome.connection_lost:
                    broken, conn = outcome, _close(conn)
                _record_failure(row, outcome, report)
            else:
                row.state, row.sent_at, row.last_error = OutboxState.SENT, clock.now(), None
                row.attempts += 1
                report.sent += 1
            db.session.commit()
    finally:
        _close(conn)


def _end_read() -> None:
    """End the transaction but keep the loaded rows as they are: a claimed row is only this worker's to change."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    try:
        return target.connect()
    except smtplib.SMTPResponseException as exc:
        # a refusal before any message (greeting, TLS, login) is the server's or our setup's problem, not the
        # message's: keep retrying and let staff see the reason
        raise _Outcome(_reply(exc.smtp_code, exc.smtp_error), False, connection_lost=True) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise _Outcome(f"{target.describe()}: {type(exc).__name__}: {exc}", False, connection_lost=True) from None


def _send_one(conn: smtplib.SMTP, envelope_from: str, to: str, raw: bytes) -> None:
    recipient = parseaddr(to)[1] or to
    try:
        conn.sendmail(envelope_from, [recipient], raw)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _Outcome(_reply(code, text), code >= 500) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise _Outcome(f"connection lost: {exc}", False, connection_lost=True) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused
        raise _Outcome(_reply(exc.smtp_code, exc.smtp_error), exc.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise _Outcome(f"{type(exc).__name__}: {exc}", False, connection_lost=True) from None


def _record_failure(row: OutboxMessage, outcome: _Outcome, report: DeliveryReport) -> None:
    now = clock.now()
    row.attempts += 1
    row.last_error = outcome.reason[:2000]
    due = None if outcome.permanent else next_attempt(row.attempts, row.created_at, now)
    if due is None:
        row.state, row.next_attempt_at = OutboxState.FAILED, None
        report.failed += 1
        log.warning("mail %s to %s failed: %s", row.id, row.recipient, row.last_error)
        _tell_staff(row)
    else:
        row.state, row.next_attempt_at = OutboxState.QUEUED, due
        report.deferred += 1


def _tell_staff(row: OutboxMessage) -> None:
    if row.template == FAILURE_NOTICE:
        return  # a failed failure notice would only breed more of them; it shows in the outbox
    from console.mail.outbox import queue_mail
    settings = current_app.extensions["settings"]
    queue_mail(key=f"mail-failed:{row.id}", to=settings.mail_staff_to, template=FAILURE_NOTICE,
               context={"message": row, "base_url": settings.base_url}, language=settings.default_language)


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return None


def retry_now(row: OutboxMessage) -> None:
    """Staff's "retry now": back in the queue, due at once (flushes). Past the five days it gets one more try."""
    row.state, row.next_attempt_at, row.claimed_at = OutboxState.QUEUED, clock.now(), None
    db.session.flush()

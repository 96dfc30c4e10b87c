"""The mail worker's steps: claim due outbox rows, send them over SMTP, record the outcome row by row.

Claiming marks rows `sending` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never claim the same row;
SQLite serialises writers). The job (console.mail.jobs) commits the claim, sends outside any transaction and
commits each outcome on its own, so a worker that dies loses at most the message it was sending; a claim older
than STALE_CLAIM is released. Nothing here commits.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.utils import import_string

from console import clock
from console.extensions import db
from console.mail import addresses
from console.mail.addresses import InvalidAddress, MailAddress
from console.mail.backoff import next_attempt
from console.mail.models import OutboxMessage, OutboxState
from console.mail.smtp import SmtpTarget

log = logging.getLogger("console.mail")
STALE_CLAIM = timedelta(minutes=15)
FAILURE_NOTICE = "mail_failed"
LOCAL_ERROR_TRIES = 3   # an error that is not the server's answer: this many tries, then failed and staff told
WAIT_FOR_EARLIER = timedelta(minutes=1)
# topic prefix → "module:function(topic) -> current revision or None (the topic is gone)"
CURRENT_REVISION = {"maintenance": "console.maintenance.notices:current_sequence"}


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    superseded: int = 0

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed"
        return f"{text}, {self.superseded} superseded" if self.superseded else text


class _Outcome(Exception):
    """How one attempt ended when it did not end in `sent`. `local`: not the server's answer but an error here
    (a bug, an address smtplib cannot write): retried LOCAL_ERROR_TRIES times, then failed."""

    def __init__(self, reason: str, permanent: bool, connection_lost: bool = False, local: bool = False):
        super().__init__(reason)
        self.reason, self.permanent, self.connection_lost, self.local = reason, permanent, connection_lost, local


class _Superseded(Exception):
    """A newer revision of the message's topic exists: it is never sent."""


class _NotYet(Exception):
    """An earlier message on the same topic to the same recipient is still on its way: this one waits for it."""

    def __init__(self, due: datetime):
        super().__init__(due)
        self.due = due


def release_stale_claims() -> None:
    """A claim older than STALE_CLAIM (its worker died) goes back to the queue (flushes)."""
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.state == OutboxState.SENDING,
                              OutboxMessage.claimed_at < clock.now() - STALE_CLAIM)
                       .values(state=OutboxState.QUEUED), execution_options={"synchronize_session": False})
    db.session.flush()


@dataclass(frozen=True)
class _Plan:
    """What sending one message needs, as plain values: the SMTP dialogue runs with no transaction open."""
    row_id: int
    recipient: MailAddress
    raw: bytes


class Delivery:
    """One run of the mail worker over due messages, in the job shape (console.jobs.shape, driven by
    console.mail.jobs): `claim` a batch (state `sending`), `start` each (is it still current, is the address
    writable), `send` it over one SMTP connection outside any transaction, then `sent` or `failed` records the
    outcome. Every step flushes; the job commits between them."""

    def __init__(self, target: SmtpTarget, envelope_from: str):
        self.target, self.envelope_from = target, envelope_from
        self.report = DeliveryReport()
        self._conn: smtplib.SMTP | None = None
        self._broken: _Outcome | None = None   # once the server is unreachable, the rest of this run waits too

    @classmethod
    def from_settings(cls) -> "Delivery":
        settings = current_app.extensions["settings"]
        return cls(SmtpTarget.from_settings(settings), parseaddr(settings.mail_from)[1])

    def claim(self, batch: int) -> list[int]:
        now = clock.now()
        due = (select(OutboxMessage.id)
               .where(OutboxMessage.state == OutboxState.QUEUED, OutboxMessage.next_attempt_at <= now)
               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
        if db.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        candidates = list(db.session.scalars(due))
        if not candidates:
            return []
        return sorted(db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), OutboxMessage.state == OutboxState.QUEUED)
            .values(state=OutboxState.SENDING, claimed_at=now).returning(OutboxMessage.id),
            execution_options={"synchronize_session": False}))

    def start(self, row_id: int) -> _Plan | None:
        """The checks before sending; a message that is not to be sent (now) is settled here and gives None."""
        row = self._row(row_id)
        try:
            _check_current(row)
            if self._broken:
                raise self._broken
            return _Plan(row.id, _recipient(row), row.raw)
        except _Superseded as superseded:
            row.state, row.next_attempt_at, row.last_error = OutboxState.SUPERSEDED, None, str(superseded)
            self.report.superseded += 1
        except _NotYet as wait:
            row.state, row.next_attempt_at = OutboxState.QUEUED, wait.due
            self.report.deferred += 1
        except _Outcome as outcome:
            _record_failure(row, outcome, self.report)
        db.session.flush()
        return None

    def send(self, plan: _Plan) -> None:
        try:
            if self._conn is None:
                self._conn = _connect(self.target)
            _send_one(self._conn, self.target, self.envelope_from, plan.raw, plan.recipient)
        except _Outcome as outcome:
            if outcome.connection_lost:
                self._broken, self._conn = outcome, _close(self._conn)
            raise
        except Exception:
            self._conn = _close(self._conn)   # the SMTP dialogue may stand anywhere now: start afresh
            raise

    def sent(self, row_id: int, _result=None) -> None:
        row = self._row(row_id)
        row.state, row.sent_at, row.last_error = OutboxState.SENT, clock.now(), None
        row.attempts += 1
        self.report.sent += 1
        db.session.flush()

    def failed(self, row_id: int, exc: Exception) -> None:
        row = self._row(row_id)
        if not isinstance(exc, _Outcome):   # not the server's answer: this message alone is at fault
            log.error("mail %s to %s could not be sent", row.id, row.recipient, exc_info=exc)
            exc = _Outcome(f"{type(exc).__name__}: {exc}", False, local=True)
        _record_failure(row, exc, self.report)
        db.session.flush()

    def close(self) -> None:
        self._conn = _close(self._conn)

    @staticmethod
    def _row(row_id: int) -> OutboxMessage:
        return db.session.get(OutboxMessage, row_id, populate_existing=True)


def _check_current(row: OutboxMessage) -> None:
    """Send a message on a topic only while it tells the topic's current revision, and after the messages on
    that topic queued before it for the same recipient: nobody gets an older SEQUENCE after a newer one."""
    if not row.topic:
        return
    if row.revision is not None:
        current = _current_revision(row.topic)
        if current is None or current > row.revision:
            raise _Superseded(_in_default_language(
                _l("Not sent: superseded by a newer notice on the same subject (revision %(old)s, now %(new)s).",
                   old=row.revision, new=current if current is not None else "–")))
    same_or_newer = OutboxMessage.revision.is_(None) if row.revision is None else \
        (OutboxMessage.revision.is_(None) | (OutboxMessage.revision >= row.revision))
    earlier = db.session.execute(
        select(OutboxMessage.state, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.topic == row.topic, OutboxMessage.recipient == row.recipient,
               OutboxMessage.id < row.id,
               (OutboxMessage.state == OutboxState.SENDING)
               | ((OutboxMessage.state == OutboxState.QUEUED) & same_or_newer))
        .order_by(OutboxMessage.id).limit(1)).first()
    if earlier is not None:
        now = clock.now()
        waits_for = earlier.next_attempt_at if earlier.state is OutboxState.QUEUED and earlier.next_attempt_at \
            else now + WAIT_FOR_EARLIER
        raise _NotYet(max(waits_for, now + timedelta(seconds=1)))


def _current_revision(topic: str) -> int | None:
    """The topic's current revision from its owner (CURRENT_REVISION), else the newest revision queued."""
    owner = CURRENT_REVISION.get(topic.partition(":")[0])
    if owner is not None:
        return import_string(owner)(topic)
    return db.session.scalar(select(func.max(OutboxMessage.revision)).where(OutboxMessage.topic == topic))


def _recipient(row: OutboxMessage) -> MailAddress:
    try:
        return addresses.parse(row.recipient)
    except InvalidAddress as exc:  # queued before addresses were checked: it can never be sent
        raise _Outcome(_in_default_language(exc.reason), True) from None


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    try:
        return target.connect()
    except smtplib.SMTPResponseException as exc:
        # a refusal before any message (greeting, TLS, login) is the server's or our setup's problem, not the
        # message's: keep retrying and let staff see the reason
        raise _Outcome(_reply(exc.smtp_code, exc.smtp_error), False, connection_lost=True) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise _Outcome(f"{target.describe()}: {type(exc).__name__}: {exc}", False, connection_lost=True) from None


def _send_one(conn: smtplib.SMTP, target: SmtpTarget, envelope_from: str, raw: bytes,
              recipient: MailAddress) -> None:
    options: list[str] = []
    if recipient.smtputf8:
        if not conn.has_extn("smtputf8"):
            raise _Outcome(_in_default_language(_l(
                "The address %(address)s has non-ASCII characters before the @; the mail server %(server)s does "
                "not offer SMTPUTF8, so it cannot be sent there.", address=recipient.addr_spec,
                server=target.describe())), True)
        options.append("SMTPUTF8")
    try:
        conn.sendmail(envelope_from, [recipient.envelope], raw, mail_options=options)
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
    permanent = outcome.permanent or (outcome.local and row.attempts >= LOCAL_ERROR_TRIES)
    due = None if permanent else next_attempt(row.attempts, row.created_at, now)
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
    try:
        with db.session.begin_nested():
            queue_mail(key=f"mail-failed:{row.id}", to=settings.mail_staff_to, template=FAILURE_NOTICE,
                       context={"message": row, "base_url": settings.base_url}, language=settings.default_language)
    except Exception:  # MAIL_STAFF_TO itself unusable: the failure still shows in the outbox
        log.exception("could not tell staff (MAIL_STAFF_TO=%r) about mail %s", settings.mail_staff_to, row.id)


def _in_default_language(text) -> str:
    with force_locale(current_app.extensions["settings"].default_language):
        return str(text)


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

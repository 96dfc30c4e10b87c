"""The last days' operational figures for the Betrieb page's charts (§7.1: collected, evaluated and stored).

The job ops.daily samples them every few minutes into one row per Berlin day and figure, so the charts survive
restarts and show what one scrape cannot: the day's peak of the mail queue or of the directory's answer time.
A day's count is counted again at every sample (it is the day's total so far); a state keeps the day's peak.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from console import clock, health
from console.extensions import db
from console.ops.models import DailyFigure

DAYS = 7


@dataclass(frozen=True)
class Figure:
    key: str
    label: object        # a lazy string: the page's language
    peak: bool = False   # keep the day's highest sample (a state), not the latest (a count of the day so far)
    unit: str = ""


FIGURES = [
    Figure("reports_filed", _l("Fault reports filed")),
    Figure("reports_open", _l("Open fault reports (peak)"), peak=True),
    Figure("mail_sent", _l("Mails sent")),
    Figure("outbox_waiting", _l("Mails waiting (peak)"), peak=True),
    Figure("inbound_received", _l("Inbound mails received")),
    Figure("voicemails", _l("Voicemails received")),
    Figure("faxes", _l("Faxes in and out")),
    Figure("ldap_ms", _l("Directory answer time (peak)"), peak=True, unit="ms"),
]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Berlin day as an interval of UTC instants (23 or 25 hours on the days the clocks change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=clock.BERLIN)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)  # wall-clock day


def _count(column, start: datetime, end: datetime) -> int:
    return db.session.scalar(select(func.count()).where(column >= start, column < end)) or 0


def sample(day: date) -> dict[str, float]:
    """Each figure of the day as it stands now."""
    from console.fax.models import Fax
    from console.incidents.models import Incident, State
    from console.mail.models import InboundMessage, OutboxMessage, OutboxState
    from console.voicemail.models import Voicemail

    start, end = day_bounds(day)
    settings = current_app.extensions["settings"]
    began = time.perf_counter()
    directory_ok = health.ldap_directory(settings)["ok"]
    ldap_ms = (time.perf_counter() - began) * 1000
    values = {
        "reports_filed": _count(Incident.opened_at, start, end),
        "reports_open": db.session.scalar(select(func.count()).select_from(Incident)
                                          .where(Incident.state.not_in((State.RESOLVED, State.CLOSED)))
                                          .where(Incident.merged_into_id.is_(None))) or 0,
        "mail_sent": _count(OutboxMessage.sent_at, start, end),
        "outbox_waiting": db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state.in_((OutboxState.QUEUED, OutboxState.SENDING)))) or 0,
        "inbound_received": _count(InboundMessage.received_at, start, end),
        "voicemails": _count(Voicemail.received_at, start, end),
        "faxes": _count(Fax.created_at, start, end),
    }
    if directory_ok:   # a directory that does not answer has no answer time; /healthz tells that it is down
        values["ldap_ms"] = round(ldap_ms, 1)
    return values


def record() -> None:
    """The job ops.daily: today's figures into their rows (a peak only ever rises during its day)."""
    today = clock.today_berlin()
    stored = {row.key: row for row in db.session.scalars(select(DailyFigure).where(DailyFigure.day == today))}
    peaks = {figure.key for figure in FIGURES if figure.peak}
    for key, value in sample(today).items():
        row = stored.get(key)
        if row is None:
            db.session.add(DailyFigure(day=today, key=key, value=value, sampled_at=clock.now()))
            continue
        row.value = max(row.value, value) if key in peaks else value
        row.sampled_at = clock.now()
    db.session.commit()


@dataclass(frozen=True)
class Bar:
    day: date
    value: float | None   # None: nothing was sampled that day (no scheduler ran)
    x: float
    height: float


@dataclass(frozen=True)
class Chart:
    figure: Figure
    bars: list[Bar]
    latest: float | None


WIDTH, HEIGHT, SLOT = 140, 48, 20   # the SVG's box; one bar per day, 14 wide in a 20-wide slot


def last_days(today: date | None = None, days: int = DAYS) -> list[Chart]:
    """One small bar chart per figure over the last days, oldest first."""
    today = today or clock.today_berlin()
    first = today - timedelta(days=days - 1)
    rows = db.session.scalars(select(DailyFigure).where(DailyFigure.day >= first, DailyFigure.day <= today))
    values = {(row.day, row.key): row.value for row in rows}
    charts = []
    for figure in FIGURES:
        series = [(first + timedelta(days=n), values.get((first + timedelta(days=n), figure.key)))
                  for n in range(days)]
        top = max((v for _, v in series if v is not None), default=0) or 1
        bars = [Bar(day, value, n * SLOT + 3, 0 if value is None else max(1.0, value / top * (HEIGHT - 2)))
                for n, (day, value) in enumerate(series)]
        charts.append(Chart(figure, bars, series[-1][1]))
    return charts

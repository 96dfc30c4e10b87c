"""Operational figures in the Prometheus text format (§7.1).

Two kinds: what each web process counts itself (requests by route and status, their latency), kept with
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (gunicorn's workers each write
their own file, console/ops/gunicorn_conf.py sets it up), and what the database holds (outbox, inbound mail,
jobs, backups, open fault reports), read at scrape time, so any web machine answers the same and nothing is
lost when a process restarts.
"""
from __future__ import annotations

import os
import time
from datetime import datetime

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from console import clock
from console.extensions import db

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter("stimme_http_requests", "HTTP requests answered, by route and status",
                   ["route", "method", "status"], registry=None)
LATENCY = Histogram("stimme_http_request_duration_seconds", "Time to answer a request, by route",
                    ["route"], buckets=BUCKETS, registry=None)
# the caller-name lookup the PBX and the mail features wait on (console.directory.books.lookup_name)
LDAP_LOOKUP = Histogram("stimme_ldap_lookup_duration_seconds", "Time of one caller-name lookup in the directory",
                        buckets=BUCKETS, registry=None)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        if request.endpoint == "static":
            return response
        route = request.url_rule.rule if request.url_rule else "(unmatched)"  # a pattern: bounded label values
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
        return response


def _age(instant: datetime | None, now: datetime) -> float | None:
    return None if instant is None else max(0.0, (now - instant).total_seconds())


def figures() -> dict:
    """The database's figures, for /metrics and the Betrieb page alike."""
    from console.fax.models import Fax
    from console.incidents.availability import year_report
    from console.incidents.models import Incident, State
    from console.voicemail.models import Voicemail
    from console.mail.models import InboundMessage, InboundState, OutboxMessage, OutboxState
    from console.media.models import MediaVersion, VersionState
    from console.ops import records
    from console.ops.models import JobStatus

    now = clock.now()
    session = db.session
    outbox = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    waiting = (OutboxState.QUEUED, OutboxState.SENDING)
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state.in_(waiting)))
    inbound = dict(session.execute(select(InboundMessage.state, func.count())
                                   .group_by(InboundMessage.state)).all())
    open_ = (Incident.state.not_in((State.RESOLVED, State.CLOSED)), Incident.merged_into_id.is_(None))
    open_reports = dict(session.execute(
        select(Incident.priority, func.count()).where(*open_).group_by(Incident.priority)).all())
    breached = Incident.sla_breached.is_(True) | (Incident.sla_due_at < now)
    sla = {(priority.value, "breached" if late else ("running" if due else "none")): count
           for priority, late, due, count in session.execute(
               select(Incident.priority, breached, Incident.sla_due_at.is_not(None), func.count()).where(*open_)
               .group_by(Incident.priority, breached, Incident.sla_due_at.is_not(None))).all()}
    conversions = session.scalar(select(func.count()).select_from(MediaVersion)
                                 .where(MediaVersion.state.in_((VersionState.PENDING, VersionState.CONVERTING))))
    jobs = list(session.scalars(select(JobStatus).order_by(JobStatus.job_id)))
    voicemails = dict(session.execute(select(Voicemail.state, func.count()).group_by(Voicemail.state)).all())
    faxes = {(direction, state): count for direction, state, count in session.execute(
        select(Fax.direction, Fax.state, func.count()).group_by(Fax.direction, Fax.state))}
    last_backup, last_good_backup = records.last("backup"), records.last("backup", ok_only=True)
    last_drill, last_good_drill = records.last("drill"), records.last("drill", ok_only=True)
    return {
        "now": now,
        "outbox": {state.value: outbox.get(state, 0) for state in OutboxState},
        "outbox_waiting": sum(outbox.get(state, 0) for state in waiting),
        "outbox_oldest_age": _age(oldest, now),
        "inbound": {state.value: inbound.get(state, 0) for state in InboundState},
        "open_reports": {priority.value: count for priority, count in open_reports.items()},
        "open_reports_sla": sla,
        "availability": year_report(now.astimezone(clock.BERLIN).year, now=now),
        "voicemails": {state.value: count for state, count in voicemails.items()},
        "faxes": {(direction.value, state.value): count for (direction, state), count in faxes.items()},
        "conversions_waiting": conversions or 0,
        "jobs": jobs,
        "scheduler_seen_age": _age(max((j.last_started_at for j in jobs), default=None), now),
        "last_backup": last_backup, "last_good_backup": last_good_backup,
        "last_drill": last_drill, "last_good_drill": last_good_drill,
    }


class DatabaseCollector:
    """Reads figures() at each scrape."""

    def __init__(self, probes: dict | None = None):
        self.probes = probes or {}

    def collect(self):
        from console.incidents.models import Priority
        facts = figures()
        outbox = GaugeMetricFamily("stimme_outbox_messages", "Outgoing mail by state", labels=["state"])
        for state, count in facts["outbox"].items():
            outbox.add_metric([state], count)
        yield outbox
        yield GaugeMetricFamily("stimme_outbox_waiting", "Mail queued or being sent", value=facts["outbox_waiting"])
        yield GaugeMetricFamily("stimme_outbox_oldest_waiting_age_seconds", "Age of the oldest undelivered mail",
                                value=facts["outbox_oldest_age"] or 0.0)
        inbound = GaugeMetricFamily("stimme_inbound_messages", "Inbound mail by state", labels=["state"])
        for state, count in facts["inbound"].items():
            inbound.add_metric([state], count)
        yield inbound
        reports = GaugeMetricFamily("stimme_incidents_open", "Open fault reports by priority", labels=["priority"])
        for priority in Priority:
            reports.add_metric([priority.value], facts["open_reports"].get(priority.value, 0))
        yield reports
        by_sla = GaugeMetricFamily("stimme_incidents_open_sla", "Open fault reports by priority and SLA state "
                                   "(breached, running, none: no SLA clock, e.g. not yet qualified)",
                                   labels=["priority", "sla"])
        for priority in Priority:
            for state in ("breached", "running", "none"):
                by_sla.add_metric([priority.value, state], facts["open_reports_sla"].get((priority.value, state), 0))
        yield by_sla
        year = facts["availability"]
        yield GaugeMetricFamily("stimme_availability_ratio", "Availability of the platform this calendar year so "
                                "far (§7.6, the promise is 0.998)", value=year.so_far.ratio)
        yield GaugeMetricFamily("stimme_availability_budget_left_seconds", "Unannounced outage time left this "
                                "year before the promise is broken", value=year.budget_left_seconds)
        voicemails = GaugeMetricFamily("stimme_voicemail_messages", "Voicemails by state", labels=["state"])
        for state, count in facts["voicemails"].items():
            voicemails.add_metric([state], count)
        yield voicemails
        faxes = GaugeMetricFamily("stimme_fax_jobs", "Faxes by direction and state", labels=["direction", "state"])
        for (direction, state), count in facts["faxes"].items():
            faxes.add_metric([direction, state], count)
        yield faxes
        yield GaugeMetricFamily("stimme_media_conversions_waiting", "Uploads waiting for conversion",
                                value=facts["conversions_waiting"])
        runs = CounterMetricFamily("stimme_job_runs", "Runs of each scheduled job", labels=["job"])
        failures = CounterMetricFamily("stimme_job_failures", "Failed runs of each scheduled job", labels=["job"])
        last_run = GaugeMetricFamily("stimme_job_last_run_timestamp_seconds", "When each job last started",
                                     labels=["job"])
        duration = GaugeMetricFamily("stimme_job_last_duration_seconds", "How long each job's last run took",
                                     labels=["job"])
        for job in facts["jobs"]:
            runs.add_metric([job.job_id], job.runs)
            failures.add_metric([job.job_id], job.failures)
            last_run.add_metric([job.job_id], job.last_started_at.timestamp())
            duration.add_metric([job.job_id], job.last_duration_seconds)
        yield from (runs, failures, last_run, duration)
        if facts["scheduler_seen_age"] is not None:
            yield GaugeMetricFamily("stimme_scheduler_last_seen_age_seconds",
                                    "Seconds since the scheduler leader last started a job",
                                    value=facts["scheduler_seen_age"])
        for name, record in (("backup", facts["last_good_backup"]), ("restore_drill", facts["last_good_drill"])):
            if record is not None:
                yield GaugeMetricFamily(f"stimme_{name}_last_success_timestamp_seconds",
                                        f"When the last successful {name.replace('_', ' ')} finished",
                                        value=record.finished_at.timestamp())
        up = GaugeMetricFamily("stimme_dependency_up", "Whether a dependency answers (1) or not (0)",
                               labels=["dependency"])
        seconds = GaugeMetricFamily("stimme_dependency_probe_seconds", "How long the dependency's probe took",
                                    labels=["dependency"])
        for name, (ok, took) in self.probes.items():
            up.add_metric([name], 1.0 if ok else 0.0)
            seconds.add_metric([name], took)
        yield up
        yield seconds


def exposition(probes: dict) -> bytes:
    """The whole /metrics body."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry = CollectorRegistry()
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        for collector in (REQUESTS, LATENCY, LDAP_LOOKUP):
            registry.register(collector)
    registry.register(DatabaseCollector(probes))
    return generate_latest(registry)

"""What /healthz reports: does each dependency *answer*, each within a short timeout of its own.

The database decides whether the console can take reports at all (503 when it cannot). The mail server, the
directory and the scheduler only delay work — mail waits in the outbox, a caller shows without a name, notices
wait for a leader — so when one of them does not answer the console is *degraded* (200). Each probe is a real exchange (SMTP EHLO + NOOP, LDAP bind + base read),
not a TCP connect: a frozen server accepts connections into its backlog and then answers nothing.
"""
from __future__ import annotations

import smtplib
import ssl
import threading
import time
from typing import Callable

TIMEOUT = 1.5  # seconds per probe; the probes run side by side


def database(session) -> dict:
    from sqlalchemy import text
    try:
        session.execute(text("SELECT 1"))
        dialect = session.get_bind().dialect.name
        session.rollback()   # no transaction stays open while the other probes run
        return {"ok": True, "dialect": dialect}
    except Exception as exc:  # noqa: BLE001  the point is to report, not to fail
        return {"ok": False, "error": type(exc).__name__}


def scheduler(session, stale_after: float) -> dict:
    """The scheduler leader records every job it starts (console.ops.records.job_ran): seen recently, or not."""
    from sqlalchemy import func, select

    from console import clock
    from console.ops.models import JobStatus
    try:
        last = session.scalar(select(func.max(JobStatus.last_started_at)))
        session.rollback()
    except Exception as exc:  # noqa: BLE001
        session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    if last is None:
        return {"ok": False, "error": "no job has run yet: start `flask --app app scheduler`"}
    age = max(0, round((clock.now() - last).total_seconds()))
    if age > stale_after:
        return {"ok": False, "last_job_seconds_ago": age, "error": f"no job started for {age} s"}
    return {"ok": True, "last_job_seconds_ago": age}


def smtp(settings, timeout: float = TIMEOUT) -> dict:
    """The outgoing mail server (or the embedded sink) greets, answers EHLO and NOOP."""
    from console.mail.smtp import SmtpTarget
    target = SmtpTarget.from_settings(settings)
    where = "embedded sink" if target.embedded else "configured (SMTP_URL)"
    try:
        if target.tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(target.host, target.port, timeout=timeout)
        try:
            conn.ehlo()
            code, _ = conn.noop()
        finally:
            conn.close()
    except (OSError, smtplib.SMTPException) as exc:
        return {"ok": False, "target": where, "error": type(exc).__name__}
    return {"ok": code == 250, "target": where} | ({} if code == 250 else {"error": f"NOOP answered {code}"})


def ldap_directory(settings, timeout: float = TIMEOUT) -> dict:
    """The directory accepts the console's bind and reads the base entry."""
    import ldap
    where = "configured (LDAP_URL)" if settings.ldap_url else "embedded slapd"
    url = settings.ldap_effective_url
    conn = ldap.initialize(url)
    try:
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
        conn.set_option(ldap.OPT_TIMEOUT, timeout)
        if settings.ldap_starttls and not url.startswith("ldaps://"):
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            conn.start_tls_s()
        conn.simple_bind_s(settings.ldap_bind_dn, settings.ldap_bind_password)
        conn.search_s(settings.ldap_base_dn, ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"])
    except ldap.LDAPError as exc:
        return {"ok": False, "target": where, "error": type(exc).__name__}
    finally:
        try:
            conn.unbind_s()
        except ldap.LDAPError:
            pass
    return {"ok": True, "target": where}


def run_bounded(probes: dict[str, Callable[[], dict]], timeout: float) -> dict[str, dict]:
    """Run the probes side by side; one that has not answered by the deadline is reported as timed out."""
    results: dict[str, dict] = {}

    def run(name: str, probe: Callable[[], dict]) -> None:
        try:
            results[name] = probe()
        except Exception as exc:  # noqa: BLE001
            results[name] = {"ok": False, "error": type(exc).__name__}

    threads = [threading.Thread(target=run, args=item, daemon=True, name=f"healthz-{item[0]}")
               for item in probes.items()]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, {"ok": False, "error": "timeout"}) for name in probes}


def report(session, settings) -> tuple[dict, int]:
    """The /healthz body and status: ok (200), degraded (200: mail, directory or scheduler do not answer, work waits)
    or down (503: the database does not answer, no report can be taken)."""
    checks = {"database": database(session)}
    checks |= run_bounded({"smtp": lambda: smtp(settings), "ldap": lambda: ldap_directory(settings)},
                       timeout=TIMEOUT + 0.5)
    if not checks["database"]["ok"]:
        return {"status": "down", "checks": checks}, 503
    checks["scheduler"] = scheduler(session, settings.scheduler_stale_seconds)
    healthy = all(check["ok"] for check in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}, 200

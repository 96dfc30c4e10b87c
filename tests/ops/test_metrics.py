"""/metrics as Prometheus reads it, who may read it, and the Betrieb page staff see."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from console.auth.models import Role
from console.extensions import db
from console.jobs.registry import Job
from console.jobs.scheduler import run_job
from console.mail.jobs import deliver_due
from tests.incidents.factories import make_incident


def scrape(browser, **kw) -> dict[tuple[str, tuple], float]:
    response = browser.get("/metrics", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_filing_a_report_and_sending_its_mail_move_the_figures(browser, make_customer, smtp_sink):
    customer = make_customer()
    db.session.commit()
    before = scrape(browser)
    make_incident(customer)
    db.session.commit()
    middle = scrape(browser)
    assert value(middle, "stimme_incidents_open", priority="P3") == value(before, "stimme_incidents_open",
                                                                         priority="P3") + 1
    waiting = value(middle, "stimme_outbox_waiting")
    assert waiting >= 1, "filing a report queues its confirmation"
    deliver_due()
    after = scrape(browser)
    assert value(after, "stimme_outbox_messages", state="sent") == value(middle, "stimme_outbox_messages",
                                                                        state="sent") + waiting
    assert value(after, "stimme_outbox_waiting") == 0
    assert value(after, "stimme_http_requests_total", route="/metrics", method="GET", status="200") == \
        value(before, "stimme_http_requests_total", route="/metrics", method="GET", status="200") + 2
    assert value(after, "stimme_dependency_up", dependency="database") == 1
    assert value(after, "stimme_dependency_up", dependency="ldap") == 1


def test_metrics_need_an_allowed_address_or_the_token(browser, configure):
    elsewhere = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert browser.get("/metrics", **elsewhere).status_code == 403
    configure(metrics_token="s3cret-token-for-prometheus")
    assert browser.get("/metrics", headers={"Authorization": "Bearer wrong"}, **elsewhere).status_code == 403
    scrape(browser, headers={"Authorization": "Bearer s3cret-token-for-prometheus"}, **elsewhere)


def test_a_job_run_and_its_failure_show_on_the_betrieb_page_and_in_metrics(app, browser, make_login, signed_in):
    staff = make_login(Role.STAFF_ADMIN, language="de")
    db.session.commit()
    run_job(app, Job("test.broken", "tests.ops.test_metrics:broken_job", 60))
    samples = scrape(browser)
    assert value(samples, "stimme_job_failures_total", job="test.broken") == 1
    page = signed_in(staff).get("/ops/").get_data(as_text=True)
    assert "Betrieb" in page and "test.broken" in page and "Der Zähler ist kaputt" in page


def broken_job():
    raise RuntimeError("Der Zähler ist kaputt")


def test_only_staff_see_the_betrieb_page(make_login, make_customer, signed_in):
    reseller = make_login(Role.RESELLER, reseller=make_customer().reseller)
    db.session.commit()
    assert signed_in(reseller).get("/ops/").status_code == 403


def test_ready_when_the_schema_is_the_codes(browser):
    response = browser.get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "ready"


def test_not_ready_when_migrations_have_not_run(browser):
    from sqlalchemy import text
    db.session.execute(text("UPDATE alembic_version SET version_num = 'older01'"))
    db.session.commit()
    response = browser.get("/readyz")
    assert response.status_code == 503
    assert "flask --app app db upgrade" in response.get_json()["reason"]


def test_staff_are_mailed_once_a_day_when_the_backup_failed_or_is_old(smtp_sink, freeze):
    from console.ops import records, watch
    from tests.conftest import utc
    freeze(utc(2026, 12, 1, 8))
    records.backup_done("backup", ok=True, archive="/b/1.tar", size=10)
    records.backup_done("drill", ok=True, archive="/b/1.tar", detail="fine")
    watch.warn_staff()
    assert deliver_due().sent == 0, "nothing to say while both are fresh"
    freeze(utc(2026, 12, 1, 12))
    records.backup_done("backup", ok=False, detail="OSError: No space left on device")
    watch.warn_staff()
    watch.warn_staff()
    assert deliver_due().sent == 1
    [mail] = smtp_sink.received
    text = mail.parsed.get_body(("plain",)).get_content()
    assert "Die letzte Sicherung ist fehlgeschlagen: OSError: No space left on device" in text

"""/metrics as Prometheus reads it, who may read it, and the Betrieb page staff see."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

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
    assert value(after, "stimme_incidents_open_sla", priority="P3", sla="running") + \
        value(after, "stimme_incidents_open_sla", priority="P3", sla="none") == value(after, "stimme_incidents_open",
                                                                                      priority="P3")
    assert 0.99 <= value(after, "stimme_availability_ratio") <= 1


def test_voicemails_and_faxes_are_counted_by_state(browser, make_customer, make_user, configure, tmp_path):
    from tests.fax.factories import fax_ids
    from tests.voicemail.factories import voicemail_ids
    configure(voicemail_dir=str(tmp_path / "voicemail"))
    customer = make_customer()
    user = make_user(customer)
    voicemail_ids(customer, user=user)
    fax_ids(customer, user)
    db.session.commit()
    samples = scrape(browser)
    assert value(samples, "stimme_voicemail_messages", state="mailed") == 1
    assert value(samples, "stimme_fax_jobs", direction="in", state="delivered") == 1


def test_a_caller_name_lookup_is_timed(browser, make_customer):
    from console.directory import books
    from console.directory.connection import get_directory
    customer = make_customer()
    db.session.commit()
    before = value(scrape(browser), "stimme_ldap_lookup_duration_seconds_count")
    books.lookup_name(get_directory(), customer.pbx, "+49301234567")
    assert value(scrape(browser), "stimme_ldap_lookup_duration_seconds_count") == before + 1


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


def test_the_betrieb_page_charts_the_last_seven_days_from_the_stored_samples(app, make_customer, make_login, smtp_sink,
                                                                           signed_in):
    """ops.daily keeps one row per day and figure: counts are the day's total, a peak only rises during its day;
    the page draws the last seven days from those rows (so they survive restarts), today's value in the caption."""
    from datetime import timedelta

    from console import clock
    from console.ops import daily
    from console.ops.models import DailyFigure
    staff = make_login(Role.STAFF_ADMIN, language="de")
    customer = make_customer()
    for _ in range(3):
        make_incident(customer)
    db.session.commit()
    run_job(app, Job("ops.daily", "console.ops.daily:record", 300))
    today = clock.today_berlin()
    stored = {row.key: row.value for row in db.session.scalars(select(DailyFigure).where(DailyFigure.day == today))}
    assert stored["reports_filed"] == 3 and stored["reports_open"] == 3 and stored["outbox_waiting"] >= 3
    assert stored["ldap_ms"] > 0
    deliver_due()                     # the queue empties: the day's peak stays
    make_incident(customer)
    db.session.commit()
    daily.record()
    stored = {row.key: row.value for row in db.session.scalars(select(DailyFigure).where(DailyFigure.day == today))}
    assert stored["reports_filed"] == 4 and stored["outbox_waiting"] >= 3 and stored["mail_sent"] >= 3
    db.session.add(DailyFigure(day=today - timedelta(days=2), key="reports_filed", value=17))
    db.session.add(DailyFigure(day=today - timedelta(days=8), key="reports_filed", value=99))   # outside the week
    db.session.commit()
    page = signed_in(staff).get("/ops/").get_data(as_text=True)
    chart = page[page.index("Meldungen eingegangen"):].split("</figure>")[0]
    assert chart.count("<rect") == 7 and "17" in chart and "99" not in chart
    assert "Meldungen eingegangen: <strong>4</strong>" in page


def test_a_stale_or_failed_drill_is_shown_on_the_betrieb_page(make_login, signed_in):
    from console.ops import records
    staff = make_login(Role.STAFF_ADMIN, language="de")
    records.backup_done("drill", ok=False, detail="checksum of database.dump differs")
    db.session.commit()
    page = signed_in(staff).get("/ops/").get_data(as_text=True)
    assert "checksum of database.dump differs" in page and "backup drill" in page


def test_staff_see_the_last_backup_and_drill_on_the_dashboard_and_when_they_are_overdue(make_login, make_customer,
                                                                                      signed_in):
    from datetime import timedelta

    from console import clock
    from console.ops import records
    from console.ops.models import BackupRecord
    staff = make_login(Role.STAFF_ADMIN, language="de")
    reseller = make_login(Role.RESELLER, reseller=make_customer().reseller)
    records.backup_done("backup", ok=True, archive="/x.tar", size=10)
    db.session.add(BackupRecord(kind="drill", ok=True, finished_at=clock.now() - timedelta(days=9)))
    db.session.commit()
    page = signed_in(staff).get("/").get_data(as_text=True)
    assert "letzte Sicherung" in page and "letzte erfolgreiche Wiederherstellungsprobe" in page
    drill = page[page.index("letzte Sicherung"):].split("</article>")[1]
    assert "überfällig" in drill and 'class="when breach"' in drill
    assert "überfällig" not in page[:page.index("letzte Sicherung")].split("<article>")[-1]
    assert "letzte Sicherung" not in signed_in(reseller).get("/").get_data(as_text=True)


def test_behind_a_loopback_proxy_the_internet_is_not_the_allowed_loopback(browser, configure):
    """The documented layout puts nginx on the same machine: without PROXY_HOPS every request would come from
    127.0.0.1, METRICS_ALLOW's default. Declared, the client's address counts; undeclared, a forwarded request
    needs the token."""
    through_proxy = {"environ_base": {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}}
    configure(proxy_hops=0)
    assert browser.get("/metrics", **through_proxy).status_code == 403
    configure(proxy_hops=1)
    assert browser.get("/metrics", **through_proxy).status_code == 403
    spoofed = {"environ_base": {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.9"}}
    assert browser.get("/metrics", **spoofed).status_code == 403
    prometheus = {"environ_base": {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.5"}}
    configure(metrics_allow="10.0.0.0/24")
    scrape(browser, **prometheus)
    configure(proxy_hops=0, metrics_token="s3cret-token-for-prometheus")
    scrape(browser, headers={"Authorization": "Bearer s3cret-token-for-prometheus"}, **through_proxy)

"""Filing and working on fault reports through the console's pages, as resellers and staff see them."""
import re

from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Channel, Incident, State
from console.mail.models import OutboxMessage
from tests.conftest import berlin


def _form(customer, **overrides) -> dict:
    site = customer.pbx.sites[0]
    data = {"title": "Kein Ton", "customer_id": customer.id, "site_ids": [site.id], "category": "audio",
            "impact": "some_users", "affected_numbers": f"{site.trunk.number_for('11')}\n030 {site.trunk.base_number[5:]}12",
            "started_at": "2026-11-27 16:30", "pattern": "intermittent", "reproduction": "Anruf auf Durchwahl 11",
            "example_calls": "2026-11-27 16:40, 0171 2345678, 030 1234567", "contact_name": "Max Mustermann",
            "contact_phone": "030 1234567"}
    data.update(overrides)
    return data


def test_the_form_names_every_missing_field(make_customer, make_login, signed_in):
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    browser.post("/language", {"language": "en"})
    html = browser.post("/incidents/new", {"customer_id": customer.id, "title": "Geht nicht"}).get_data(as_text=True)
    for label in ("Affected site(s) is missing", "Category is missing", "Impact is missing",
                  "Affected numbers is missing", "Start of the fault is missing", "How to reproduce is missing",
                  "Example calls (time, from, to) is missing", "Contact person is missing",
                  "Callback number is missing"):
        assert label in html
    assert "10 field(s)" in html
    assert db.session.scalar(select(Incident)) is None


def test_a_reseller_files_a_qualified_report_on_friday_1659(make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 27, 16, 59))
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    response = browser.post("/incidents/new", _form(customer))
    assert response.status_code == 303, response.get_data(as_text=True)
    incident = db.session.scalar(select(Incident))
    assert incident.qualified and incident.channel is Channel.FORM and len(incident.affected_numbers) == 2
    assert incident.sla_due_at == berlin(2026, 11, 30, 11, 59)   # P3 response: 1 min Friday + 239 Monday
    ack = db.session.scalar(select(OutboxMessage))
    assert "Work on it starts" not in ack.parsed.get_body(("plain",)).get_content()   # inside service hours


def test_staff_file_on_a_resellers_behalf_and_the_saturday_ack_says_when_work_starts(
        make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 28, 10, 0))
    customer = make_customer()
    staff = make_login(Role.STAFF_SUPPORT, language="en")
    response = signed_in(staff).post("/incidents/new", _form(customer))
    assert response.status_code == 303
    incident = db.session.scalar(select(Incident))
    assert incident.reseller_id == customer.reseller_id and incident.reported_by_id == staff.id
    text = db.session.scalar(select(OutboxMessage)).parsed.get_body(("plain",)).get_content()
    assert "Work on it starts on 30 Nov 2026, 08:00" in text


def test_another_resellers_customer_cannot_be_chosen(make_customer, make_login, signed_in):
    own, foreign = make_customer(), make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=own.reseller))
    assert browser.post("/incidents/new", _form(foreign)).status_code == 404
    assert db.session.scalar(select(Incident)) is None


def test_reply_wait_and_resume_move_the_deadline(make_customer, make_login, signed_in, freeze):
    from tests.incidents.factories import make_incident
    freeze(berlin(2026, 11, 30, 9, 0))
    customer = make_customer()
    incident = make_incident(customer)
    staff = signed_in(make_login(Role.STAFF_ADMIN))
    freeze(berlin(2026, 11, 30, 9, 30))
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Wir prüfen das."})
    assert incident.state is State.IN_PROGRESS
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "incidents/reply")) is not None
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Bitte Trace schicken.", "visibility": "public",
                                                   "state_after": "waiting"})
    assert incident.sla_due_at is None   # paused: no deadline runs
    freeze(berlin(2026, 11, 30, 11, 30))
    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    reseller.post(f"/incidents/{incident.id}/reply", {"body": "Trace angehängt."})
    assert incident.state is State.IN_PROGRESS   # the reseller's answer resumes the clocks
    # update clock (P3: 540 min) from the 09:30 reply, minus the 2 h pause → Tuesday 11:30
    assert incident.sla_due_at == berlin(2026, 12, 1, 11, 30)


def test_list_filters_and_full_text_search(make_customer, make_login, signed_in):
    from tests.incidents.factories import make_incident
    a, b = make_customer(name="Alpha GmbH"), make_customer(name="Beta AG")
    make_incident(a, title="Faxgerät sendet nicht")
    make_incident(b, title="Rufnummer unerreichbar")
    browser = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    assert "Faxgerät" in browser.get("/incidents/?q=faxgerät").get_data(as_text=True)
    assert "Rufnummer" not in browser.get("/incidents/?q=faxgerät").get_data(as_text=True)
    by_customer = browser.get(f"/incidents/?customer_id={b.id}").get_data(as_text=True)
    assert "Rufnummer" in by_customer and "Faxgerät" not in by_customer
    assert "No fault reports found" in browser.get("/incidents/?state=closed").get_data(as_text=True)
    reseller = signed_in(make_login(Role.RESELLER, reseller=a.reseller)).get("/incidents/").get_data(as_text=True)
    assert "Faxgerät" in reseller and "Rufnummer" not in reseller


def test_the_form_offers_the_sites_of_the_chosen_customer(make_customer, make_reseller, make_login, signed_in):
    from console.accounts import services as accounts
    mine = make_reseller()
    a, b, foreign = make_customer(mine, name="Alpha GmbH"), make_customer(mine, name="Beta AG"), make_customer()
    accounts.save_site(None, pbx=b.pbx, name="Filiale Süd", street="Weg 2", postcode="80331", city="München")
    reseller = signed_in(make_login(Role.RESELLER, reseller=mine, language="en"))

    def site_options(query: str = "", **headers) -> str:
        html = reseller.get(f"/incidents/new{query}", headers=headers).get_data(as_text=True)
        return re.search(r'<fieldset id="site_ids".*?</fieldset>', html, re.S).group(0)

    assert "checkbox" not in site_options()   # no customer chosen yet: no sites to pick
    beta = site_options(f"?customer_id={b.id}", **{"HX-Request": "true"})
    assert "Filiale Süd" in beta and "Zentrale" in beta
    assert f'value="{a.pbx.sites[0].id}" checked' in site_options(f"?customer_id={a.id}")   # the only site
    assert "checkbox" not in site_options(f"?customer_id={foreign.id}")   # another reseller's customer: nothing


def test_filter_menus_load_and_search_their_choices_when_opened(make_customer, make_reseller, make_login,
                                                               signed_in):
    from console.incidents.views import MENU_SIZE
    from tests.incidents.factories import make_incident
    mine = make_reseller(name="Händler Eins")
    a, b = make_customer(mine, name="Alpha GmbH"), make_customer(mine, name="Beta AG")
    make_customer(name="Gamma KG")   # another reseller's customer
    make_incident(b, title="Rufnummer unerreichbar")
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    page = staff.get("/incidents/?state=open").get_data(as_text=True)
    assert "Customer: all" in page and "Alpha GmbH" not in page   # no customer list in the page itself
    menu = staff.get("/incidents/filter-options?menu=customer_id&find=BET&state=open").get_data(as_text=True)
    assert "Beta AG" in menu and "Alpha GmbH" not in menu
    assert f"/incidents/?state=open&amp;customer_id={b.id}" in menu   # a link that keeps the other filters
    filtered = staff.get(f"/incidents/?state=open&customer_id={b.id}").get_data(as_text=True)
    assert "Customer: Beta AG" in filtered and "Rufnummer" in filtered
    assert f'name="customer_id" value="{b.id}"' in filtered   # the search form keeps the filter
    assert "Händler Eins" in staff.get("/incidents/filter-options?menu=reseller_id&find=eins").get_data(as_text=True)

    reseller = signed_in(make_login(Role.RESELLER, reseller=mine, language="en"))
    own = reseller.get("/incidents/filter-options?menu=customer_id").get_data(as_text=True)
    assert "Alpha GmbH" in own and "Beta AG" in own and "Gamma KG" not in own
    assert reseller.get("/incidents/filter-options?menu=reseller_id").status_code == 404
    assert reseller.get("/incidents/filter-options?menu=assignee_id").status_code == 404
    assert "Reseller:" not in reseller.get("/incidents/").get_data(as_text=True)

    for n in range(MENU_SIZE):
        make_customer(mine, name=f"Viele {n:02d}")
    crowded = reseller.get("/incidents/filter-options?menu=customer_id").get_data(as_text=True)
    assert "type to narrow" in crowded and "Viele 27" in crowded and "Viele 29" not in crowded


def test_breached_filter(make_customer, make_login, signed_in, freeze):
    from tests.incidents.factories import make_incident
    freeze(berlin(2026, 11, 30, 9, 0))
    make_incident(make_customer(), title="Alt und überfällig")
    freeze(berlin(2026, 12, 2, 9, 0))
    make_incident(make_customer(), title="Frisch gemeldet")
    html = signed_in(make_login(Role.STAFF_ADMIN)).get("/incidents/?breached=1").get_data(as_text=True)
    assert "überfällig" in html and "Frisch" not in html


def test_only_active_staff_can_be_assigned(make_customer, make_login, signed_in):
    from tests.incidents.factories import make_incident
    incident = make_incident(make_customer())
    colleague = make_login(Role.STAFF_SUPPORT, email="kollegin@stimme.example")
    gone = make_login(Role.STAFF_SUPPORT, email="ehemalig@stimme.example")
    gone.active = False
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    keep = {"state": "new", "priority": "P3"}
    staff.post(f"/incidents/{incident.id}/attributes", {**keep, "assignee_id": gone.id})
    assert incident.assignee_id is None   # a deactivated login is no choice
    staff.post(f"/incidents/{incident.id}/attributes", {**keep, "assignee_id": colleague.id})
    assert incident.assignee_id == colleague.id
    menu = staff.get("/incidents/filter-options?menu=assignee_id").get_data(as_text=True)
    assert colleague.name in menu and f"assignee_id={gone.id}" not in menu


def test_merge_time_report_and_notes(make_customer, make_login, signed_in):
    from tests.incidents.factories import make_incident
    customer = make_customer(name="Zeit GmbH")
    first, duplicate = make_incident(customer), make_incident(customer)
    staff_login = make_login(Role.STAFF_SUPPORT, language="en")
    staff = signed_in(staff_login)
    staff.post(f"/incidents/{duplicate.id}/merge", {"target": first.number, "confirm": "1"})
    assert duplicate.state is State.CLOSED and duplicate.merged_into_id == first.id
    staff.post(f"/incidents/{first.id}/time", {"minutes": "90", "on_site": "y"})
    staff.post(f"/incidents/{first.id}/time", {"minutes": "30"})
    staff.post(f"/incidents/{first.id}/reply", {"body": "Intern: Kabel defekt", "visibility": "internal"})
    report = staff.get("/incidents/time-report").get_data(as_text=True)
    assert "Zeit GmbH" in report and "1.50" in report and "0.50" in report
    reseller_view = signed_in(make_login(Role.RESELLER, reseller=customer.reseller)).get(f"/incidents/{first.id}")
    assert "Kabel defekt" not in reseller_view.get_data(as_text=True)
    assert "Kabel defekt" in staff.get(f"/incidents/{first.id}").get_data(as_text=True)


def test_attachments_are_limited_by_type_and_size(make_customer, make_login, signed_in):
    import io
    from tests.incidents.factories import make_incident
    customer = make_customer()
    incident = make_incident(customer)
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    browser.post(f"/incidents/{incident.id}/attachments",
                 {"attachment": (io.BytesIO(b"MZ..."), "tool.exe", "application/x-msdownload")})
    browser.post(f"/incidents/{incident.id}/attachments",
                 {"attachment": (io.BytesIO(b"\0" * (10 * 1024 * 1024 + 1)), "big.pcap", "application/octet-stream")})
    browser.post(f"/incidents/{incident.id}/attachments",
                 {"attachment": (io.BytesIO(b"\xd4\xc3\xb2\xa1"), "call.pcap", "application/octet-stream")})
    html = browser.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert ">call.pcap</a>" in html and ">tool.exe</a>" not in html and ">big.pcap</a>" not in html
    assert "only screenshots" in html and "big.pcap is larger than 10 MB" in html
    from console.incidents.models import IncidentAttachment
    stored = db.session.scalar(select(IncidentAttachment).where(IncidentAttachment.filename == "call.pcap"))
    download = browser.get(f"/incidents/{incident.id}/attachments/{stored.id}")
    assert download.data == b"\xd4\xc3\xb2\xa1" and "attachment" in download.headers["Content-Disposition"]

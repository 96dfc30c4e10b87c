"""Working a fault report at the desk (issue 14): one attribute panel, the reply composer that sets the state
and records time, merge behind its own confirmation, the timeline in words, and the mails the reseller gets."""
import re

from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Priority, State, TimeEntry
from console.mail.jobs import deliver_due
from console.mail.models import OutboxMessage
from tests.incidents.factories import make_incident


def _named(login, name):
    login.name = name
    db.session.flush()
    return login


def _timeline(html: str) -> str:
    return re.sub(r"\s+", " ", html.split('id="timeline-heading"', 1)[1])


def _mails(template: str) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def _text(message: OutboxMessage) -> str:
    return message.parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _desk(make_customer, make_login, signed_in, language="de", reseller_language="de"):
    customer = make_customer(name="Praxis Dr. Hahn")
    reseller = _named(make_login(Role.RESELLER, reseller=customer.reseller, email="noc@partner.example",
                                 language=reseller_language), "Rita Reseller")
    incident = make_incident(customer, actor=reseller)
    anna = _named(make_login(Role.STAFF_SUPPORT, email="anna@stimme.example", language=language), "Anna Schmidt")
    return customer, incident, anna, signed_in(anna)


def test_one_panel_saves_state_priority_and_assignee_and_the_timeline_says_who_did_what(
        make_customer, make_login, signed_in):
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in)
    ben = _named(make_login(Role.STAFF_SUPPORT, email="ben@stimme.example"), "Ben Vogel")
    page = staff.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert page.count('action="/incidents/%d/attributes"' % incident.id) == 1   # one form, one save button
    assert "Mir zuweisen" in page

    response = staff.post(f"/incidents/{incident.id}/attributes", {
        "state": "in_progress", "priority": "P1", "assignee_id": "0", "assign_to_me": "1"})
    assert response.status_code == 303
    assert (incident.state, incident.priority, incident.assignee_id) == (State.IN_PROGRESS, Priority.P1, anna.id)
    staff.post(f"/incidents/{incident.id}/attributes", {"state": "in_progress", "priority": "P1",
                                                        "assignee_id": ben.id})
    timeline = _timeline(staff.get(f"/incidents/{incident.id}").get_data(as_text=True))
    assert "Rita Reseller hat die Störung gemeldet (Formular)." in timeline
    assert "Anna Schmidt hat die Meldung sich selbst zugewiesen." in timeline
    assert "Anna Schmidt hat die Meldung Ben Vogel zugewiesen." in timeline
    assert "Status: Neu → In Bearbeitung" in timeline and "Priorität: P3 → P1" in timeline
    assert "Anna Schmidt (stimme-Support)" in timeline
    assert "@" not in timeline.split("</ol>")[0]   # display names, never e-mail addresses


def test_waiting_for_the_reseller_mails_the_question_with_the_answer_link(
        make_customer, make_login, signed_in, smtp_sink, configure):
    configure(base_url="https://konsole.test")
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in, reseller_language="en")
    question = "Bitte schicken Sie einen Trace des Anrufs von 10:15."
    refused = staff.post(f"/incidents/{incident.id}/reply", {"body": "", "state_after": "waiting"})
    assert refused.status_code == 422
    assert "braucht eine Frage" in refused.get_data(as_text=True) and incident.state is State.NEW

    response = staff.post(f"/incidents/{incident.id}/reply", {"body": question, "visibility": "public",
                                                              "state_after": "waiting"})
    assert response.status_code == 303
    assert incident.state is State.WAITING
    assert _mails("incidents/reply") == []   # one mail: the question, not a reply and a question
    deliver_due()
    [mail] = [r for r in smtp_sink.received if "need your answer" in r.parsed["Subject"]]
    assert mail.rcpt_tos == ["noc@partner.example"]
    text = mail.parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert question in text and f"Answer here: https://konsole.test/incidents/{incident.id}\n" in text
    assert "SLA clocks stand still" in text   # in the reseller's language (English), not the staff's

    reseller = signed_in(db.session.scalar(select(type(anna)).where(type(anna).email == "noc@partner.example")))
    reseller_page = reseller.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Your answer" in reseller_page and question in reseller_page
    reseller.post(f"/incidents/{incident.id}/reply", {"body": "Trace ist angehängt."})
    assert incident.state is State.IN_PROGRESS


def test_resolving_asks_for_a_note_that_the_reseller_receives_and_reopening_tells_them(
        make_customer, make_login, signed_in):
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in, language="en",
                                            reseller_language="de")
    refused = staff.post(f"/incidents/{incident.id}/attributes", {"state": "resolved", "priority": "P2",
                                                                  "assignee_id": "0"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Write a short resolution note" in html
    assert 'value="P2" selected' in html or 'selected value="P2"' in html   # what was sent is kept
    assert incident.state is State.NEW and incident.priority is Priority.P3   # refused as a whole

    staff.post(f"/incidents/{incident.id}/attributes", {"state": "resolved", "priority": "P3", "assignee_id": "0",
                                                        "resolution_note": "Rufumleitung im Trunk korrigiert."})
    assert incident.state is State.RESOLVED
    [resolved] = _mails("incidents/resolved")
    assert resolved.recipient == "noc@partner.example"
    text = _text(resolved)
    assert "Rufumleitung im Trunk korrigiert." in text and "ist gelöst" in resolved.parsed["Subject"]
    timeline = _timeline(staff.get(f"/incidents/{incident.id}").get_data(as_text=True))
    assert "Status: New → Resolved" in timeline and "Rufumleitung im Trunk korrigiert." in timeline

    staff.post(f"/incidents/{incident.id}/attributes", {"state": "in_progress", "priority": "P3",
                                                        "assignee_id": "0"})
    [reopened] = _mails("incidents/reopened")
    assert "wieder offen" in reopened.parsed["Subject"] and f"/incidents/{incident.id}" in _text(reopened)


def test_the_composer_resolves_with_the_reply_as_note_and_records_time_with_its_total(
        make_customer, make_login, signed_in):
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in, language="en")
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Kabel getauscht", "visibility": "internal",
                                                   "minutes": "90", "place": "on_site"})
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Der Trunk ist neu registriert.", "visibility": "public",
                                                   "state_after": "resolved", "minutes": "30", "place": "remote"})
    assert incident.state is State.RESOLVED
    assert sorted((t.minutes, t.on_site) for t in db.session.scalars(select(TimeEntry))) == [(30, False),
                                                                                             (90, True)]
    [resolved] = _mails("incidents/resolved")
    assert "Der Trunk ist neu registriert." in _text(resolved) and _mails("incidents/reply") == []
    assert "Kabel getauscht" not in _text(resolved)   # an internal note never leaves the house
    page = re.sub(r"\s+", " ", staff.get(f"/incidents/{incident.id}").get_data(as_text=True))
    assert "120 min" in page and "remote 30 min, on site 90 min" in page

    bad = staff.post(f"/incidents/{incident.id}/reply", {"body": "Noch etwas", "minutes": "99999"})
    assert bad.status_code == 422 and "Noch etwas" in bad.get_data(as_text=True)   # kept on the error
    assert db.session.scalar(select(TimeEntry).where(TimeEntry.minutes == 99999)) is None


def test_with_htmx_a_save_returns_the_desk_in_place(make_customer, make_login, signed_in):
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in)
    hx = {"HX-Request": "true"}
    saved = staff.post(f"/incidents/{incident.id}/attributes", {"state": "new", "priority": "P2",
                                                                "assignee_id": "0"}, headers=hx)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert 'id="desk"' in html and "<html" not in html and "Gespeichert." in html
    assert html.count('id="timeline-heading"') == 1 and html.count('id="desk"') == 1   # swapped whole
    assert 'hx-target="#desk"' in html and incident.priority is Priority.P2
    refused = staff.post(f"/incidents/{incident.id}/attributes", {"state": "resolved", "priority": "P2",
                                                                  "assignee_id": "0"}, headers=hx)
    assert refused.status_code == 200 and "Lösungsnotiz" in refused.get_data(as_text=True)


def test_merge_is_confirmed_on_a_page_of_its_own_and_the_reseller_is_told(make_customer, make_login, signed_in):
    customer, first, anna, staff = _desk(make_customer, make_login, signed_in)
    duplicate = make_incident(customer, title="Wieder keine Anrufe")
    confirm = staff.get(f"/incidents/{duplicate.id}/merge?target={first.number}")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and f"In {first.number} zusammenführen" in html
    assert duplicate.state is State.NEW and duplicate.merged_into_id is None   # looking changes nothing
    assert "Es gibt keine Störungsmeldung 1999-000000" in staff.get(
        f"/incidents/{duplicate.id}/merge?target=1999-000000").get_data(as_text=True)

    response = staff.post(f"/incidents/{duplicate.id}/merge", {"target": first.number, "confirm": "1"})
    assert response.status_code == 303 and response.location.endswith(f"/incidents/{first.id}")
    assert duplicate.merged_into_id == first.id and duplicate.state is State.CLOSED
    [merged] = _mails("incidents/merged")
    assert first.number in merged.parsed["Subject"] and f"/incidents/{first.id}" in _text(merged)


def test_the_reseller_sees_no_internal_notes_and_no_staff_controls(make_customer, make_login, signed_in):
    customer, incident, anna, staff = _desk(make_customer, make_login, signed_in)
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Intern: Kunde ruft oft an", "visibility": "internal"})
    staff.post(f"/incidents/{incident.id}/reply", {"body": "Wir sind dran.", "visibility": "public"})
    reseller = signed_in(_named(make_login(Role.RESELLER, reseller=customer.reseller, language="en"), "Rolf"))
    html = reseller.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Wir sind dran." in html and "Kunde ruft oft an" not in html
    assert "/attributes" not in html and "State after sending" not in html and "Your answer" in html
    assert "Anna Schmidt (stimme support)" in _timeline(html) and "Anna Schmidt replied:" in _timeline(html)

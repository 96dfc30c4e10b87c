"""The fault-report list: assignee and last-changed columns, chips that say what is filtered, saved overviews
with their counts, and filter menus that also work without JavaScript."""
import re

from console.auth.models import Role
from console.extensions import db
from console.incidents import services
from console.incidents.models import Priority, State
from tests.conftest import berlin
from tests.incidents.factories import make_incident


def _rows(html: str) -> str:
    return re.sub(r"\s+", " ", html.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def test_the_list_shows_assignee_and_last_change_and_chips_keep_their_label(make_customer, make_login, signed_in,
                                                                             freeze):
    freeze(berlin(2026, 11, 30, 9, 0))
    customer = make_customer(name="Alpha GmbH")
    incident = make_incident(customer, title="Kein Freizeichen")
    anna = make_login(Role.STAFF_SUPPORT)
    anna.name = "Anna Schmidt"
    freeze(berlin(2026, 11, 30, 10, 45))
    services.assign(incident, anna, anna)
    staff = signed_in(anna)
    html = staff.get("/incidents/?state=new&priority=P3").get_data(as_text=True)
    assert "<th>Bearbeiter</th>" in html and "<th>Zuletzt geändert</th>" in html
    row = _rows(html)
    assert "Anna Schmidt" in row and "30.11.2026, 10:45" in row and "30.11.2026, 09:00" in row
    assert '<td class="nowrap"><a href="/incidents/%d">%s</a></td>' % (incident.id, incident.number) in html
    assert ">Status: Neu " in html and ">Priorität: P3 " in html   # the chips keep the filter's name
    assert 'href="/incidents/?priority=P3"' in html   # removing "Status: Neu" keeps the other filter
    assert '<option value="new" selected>Status: Neu</option>' in html


def test_saved_overviews_have_their_counts_and_filter_the_list(make_customer, make_login, signed_in, freeze):
    freeze(berlin(2026, 11, 30, 9, 0))   # Monday
    customer = make_customer()
    anna = make_login(Role.STAFF_SUPPORT, language="en")
    mine = make_incident(customer, title="Meine Meldung")
    services.assign(mine, anna, anna)
    make_incident(customer, title="Offen und frei")
    waiting = make_incident(customer, title="Wartet auf Antwort")
    services.change_state(waiting, State.WAITING, anna, question="Welche Nebenstelle?")
    urgent = make_incident(customer, title="Alles tot")
    services.set_priority(urgent, Priority.P1, anna)
    db.session.flush()
    staff = signed_in(anna)
    html = re.sub(r"\s+", " ", staff.get("/incidents/").get_data(as_text=True))
    assert 'Assigned to me <span class="badge">1</span>' in html
    assert 'Unassigned <span class="badge">3</span>' in html   # open ones, the waiting one included
    assert 'Waiting for reseller <span class="badge">1</span>' in html
    assert 'SLA due within 2 service hours <span class="badge">1</span>' in html   # P1: response in 30 min
    assert "Meine Meldung" in staff.get("/incidents/?view=mine").get_data(as_text=True)
    assert "Offen und frei" not in staff.get("/incidents/?view=mine").get_data(as_text=True)
    due = staff.get("/incidents/?view=due").get_data(as_text=True)
    assert "Alles tot" in _rows(due) and "Offen und frei" not in _rows(due)
    assert "Wartet auf Antwort" in _rows(staff.get("/incidents/?view=waiting").get_data(as_text=True))

    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    own = re.sub(r"\s+", " ", reseller.get("/incidents/").get_data(as_text=True))
    assert 'Waiting for reseller <span class="badge">1</span>' in own and "Assigned to me" not in own
    assert "Meine Meldung" in reseller.get("/incidents/?view=mine").get_data(as_text=True)   # no staff view: all


def test_the_filter_menus_link_to_a_page_of_choices_without_javascript(make_customer, make_login, signed_in):
    customer = make_customer(name="Beta AG")
    make_incident(customer)
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    html = staff.get("/incidents/?state=open").get_data(as_text=True)
    link = re.search(r'<a href="(/incidents/filter-options\?[^"]*menu=customer_id[^"]*)">Show the choices</a>', html)
    assert link, "no link to the choices"
    page = staff.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "<html" in page and "Beta AG" in page
    assert f"/incidents/?state=open&amp;customer_id={customer.id}" in page

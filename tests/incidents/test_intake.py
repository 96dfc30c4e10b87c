"""The intake sequence, once for every channel (issue 13, point 9): file_report stores the report with its
attachments; the form refuses a report whose attachment is refused, and nothing is filed or mailed then."""
import io

from sqlalchemy import func, select

from console.auth.models import Role
from console.extensions import db
from console.incidents.models import Incident, IncidentAttachment
from console.mail.models import OutboxMessage
from tests.incidents.test_reports import _form


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_report_filed_with_its_screenshot(make_customer, make_login, signed_in):
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    data = _form(customer, attachment=(io.BytesIO(b"\x89PNG\r\n"), "anzeige.png", "image/png"))
    assert browser.post("/incidents/new", data).status_code == 303
    incident = db.session.scalar(select(Incident))
    [stored] = db.session.scalars(select(IncidentAttachment)).all()
    assert stored.incident_id == incident.id and stored.filename == "anzeige.png" and stored.data == b"\x89PNG\r\n"
    assert _count(OutboxMessage) == 1   # the acknowledgement


def test_a_refused_attachment_files_nothing_and_says_why(make_customer, make_login, signed_in):
    customer = make_customer()
    browser = signed_in(make_login(Role.RESELLER, reseller=customer.reseller, language="en"))
    browser.post("/language", {"language": "en"})
    data = _form(customer, attachment=(io.BytesIO(b"MZ..."), "tool.exe", "application/x-msdownload"))
    page = browser.post("/incidents/new", data)
    assert page.status_code == 200 and "only screenshots" in page.get_data(as_text=True)
    assert (_count(Incident), _count(IncidentAttachment), _count(OutboxMessage)) == (0, 0, 0)

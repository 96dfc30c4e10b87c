"""Staff pages: the outbox with reasons and "retry now", the sent-mail viewer over the embedded sink's Maildir."""
from __future__ import annotations

import re

from console.auth.models import Role
from console.extensions import db
from console.mail.jobs import deliver_due
from console.mail.models import OutboxState
from console.mail.outbox import Attachment, queue_mail
from console.mail.smtpd import sink_controller
from console.ports import free_port


def test_staff_see_why_a_message_failed_and_retry_it(outbox_to, make_login, signed_in):
    outbox_to.refuse["weg@example.com"] = "550 5.1.1 mailbox gone"
    message = queue_mail(key="view-failed", to="weg@example.com", template="test_notice",
                         context={"subject": "Wartung am Freitag", "body": "Grüße"})
    db.session.commit()
    deliver_due()
    staff = signed_in(make_login(Role.STAFF_SUPPORT, language="en"))

    listing = staff.get("/mail/outbox/?state=failed").get_data(as_text=True)
    assert "Wartung am Freitag" in listing and "550 5.1.1 mailbox gone" in listing
    sent = staff.get("/mail/outbox/?state=sent").get_data(as_text=True)
    # staff were told (in German: the notice goes out in each staff login's language)
    assert f'/mail/outbox/{message.id}"' not in sent and "E-Mail konnte nicht zugestellt werden" in sent

    page = staff.get(f"/mail/outbox/{message.id}").get_data(as_text=True)
    assert "Retry now" in page and "Grüße" in page

    outbox_to.refuse.clear()
    response = staff.post(f"/mail/outbox/{message.id}/retry")
    assert response.status_code == 303
    assert message.state is OutboxState.QUEUED
    deliver_due()
    assert message.state is OutboxState.SENT
    assert "weg@example.com" in [r.rcpt_tos[0] for r in outbox_to.received]


def test_others_cannot_see_the_outbox(make_customer, make_login, signed_in):
    customer = make_customer()
    reseller = signed_in(make_login(Role.RESELLER, reseller=customer.reseller))
    assert reseller.get("/mail/outbox/").status_code == 403
    assert reseller.get("/mail/sent/").status_code == 403


def test_the_sent_mail_viewer_shows_what_the_recipient_sees(configure, tmp_path, make_login, signed_in):
    sink = sink_controller(tmp_path / "maildir", free_port())
    sink.start()
    try:
        configure(smtp_url="", mail_sink_port=sink.port, maildir=str(tmp_path / "maildir"))
        queue_mail(key="view-sent", to="Jürgen Müßig <j@example.com>", template="test_notice",
                   context={"subject": "Fax von 030 1234", "body": "Seite 1 von 2 – Grüße"},
                   attachments=[Attachment("fax-März.pdf", "application/pdf", b"%PDF-1.4 fax")])
        db.session.commit()
        assert deliver_due().sent == 1
    finally:
        sink.stop()
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    listing = staff.get("/mail/sent/").get_data(as_text=True)
    assert "Fax von 030 1234" in listing and "No mail server is configured" in listing
    link = re.search(r'href="(/mail/sent/[^"]+)"', listing).group(1)

    page = staff.get(link).get_data(as_text=True)
    assert "Jürgen Müßig" in page and "Seite 1 von 2 – Grüße" in page and "fax-März.pdf" in page
    html = staff.get(re.search(r'<iframe src="([^"]+)"', page).group(1).replace("&amp;", "&"))
    assert "Seite 1 von 2 – Grüße" in html.get_data(as_text=True)
    assert "sandbox" in html.headers["Content-Security-Policy"]
    download = re.search(r'href="([^"]+)" download>fax-März.pdf', page).group(1).replace("&amp;", "&")
    pdf = staff.get(download)
    assert pdf.data == b"%PDF-1.4 fax" and pdf.headers["Content-Type"] == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert staff.get("/mail/sent/../../etc/passwd").status_code == 404


def test_the_sent_mail_viewer_lists_in_queue_order_with_seconds(configure, tmp_path, freeze, make_login, signed_in):
    import mailbox
    from datetime import datetime, timezone
    freeze(datetime(2026, 12, 1, 13, 30, 5, tzinfo=timezone.utc))  # all three queued within one second
    rows = [queue_mail(key=f"order-{n}", to="r@example.com", template="test_notice",
                       context={"subject": f"Nachricht {n}", "body": "x"}) for n in ("eins", "zwei", "drei")]
    db.session.commit()
    box = mailbox.Maildir(str(tmp_path / "maildir"), create=True)
    for row in reversed(rows):  # delivered in the opposite order: a retry, a slower worker
        box.add(row.raw)
    configure(smtp_url="", maildir=str(tmp_path / "maildir"))

    listing = signed_in(make_login(Role.STAFF_ADMIN, language="de")).get("/mail/sent/").get_data(as_text=True)
    subjects = re.findall(r"(Nachricht \w+)</a>", listing)
    assert subjects == ["Nachricht drei", "Nachricht zwei", "Nachricht eins"]  # newest queued first
    assert "14:30:05" in listing  # Berlin time, to the second

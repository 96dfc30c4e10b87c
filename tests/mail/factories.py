"""Mail objects for the route-enumerating tests (test_tenancy, test_pages): staff-only, owned by no tenant."""
from __future__ import annotations

from types import SimpleNamespace

from console import clock
from console.mail import inbound
from console.mail.outbox import queue_mail


def mail_ids(tag: str = "") -> dict:
    message = queue_mail(key=f"route-test{tag}", to="Jürgen <j@example.com>", template="mail_failed",
                         context={"message": SimpleNamespace(id=0, recipient="kunde@example.com", subject="Störung",
                                                              attempts=3, created_at=clock.now(), last_error="451"),
                                  "base_url": ""})
    stored = inbound.store("partner@example.com", [f"stoerung{tag}@stimme.local"],
                           b"Subject: =?utf-8?q?St=C3=B6rung?=\r\n\r\nText\r\n")
    return {"message_id": message.id, "inbound_id": stored[0], "sent_key": "no-such-message"}

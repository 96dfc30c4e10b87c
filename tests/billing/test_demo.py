"""Demo licences (§2.3): warned 7 days and 1 day before the end, told at the end, never billed, kept on expiry."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from console.accounts import services as accounts
from console.accounts.models import LicenceKind
from console.billing import services
from console.billing.jobs import send_demo_notices
from console.clock import BERLIN
from console.errors import RuleViolation
from console.extensions import db
from console.mail.models import OutboxMessage

UTC = timezone.utc


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


def _demo_mails() -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("demo:%"))))


def test_demo_warnings_come_once_each_and_an_expired_demo_keeps_its_users(
        make_customer, make_user, freeze, app):
    freeze(_at(date(2026, 11, 2)))
    customer = make_customer(licence=LicenceKind.DEMO, licence_start=date(2026, 11, 2))
    make_user(customer)
    end = customer.pbx.demo_end
    assert end == date(2026, 11, 29)
    freeze(_at(date(2026, 11, 21)))  # 8 days before the end
    send_demo_notices()
    assert _demo_mails() == []
    freeze(_at(date(2026, 11, 22)))
    send_demo_notices()
    send_demo_notices()
    assert [k.rsplit(":", 2)[1:] for k in _demo_mails()] == [["7d", "reseller"], ["7d", "staff"]]
    freeze(_at(date(2026, 11, 28)))
    send_demo_notices()
    freeze(_at(date(2026, 11, 30)))
    send_demo_notices()
    send_demo_notices()
    assert len(_demo_mails()) == 6
    reseller_mail = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.key.like("demo:%:ended:reseller")))
    assert "Demolizenz beendet" in reseller_mail.subject and customer.pbx.name in reseller_mail.subject
    with pytest.raises(RuleViolation, match="ended on 29.11.2026"):
        make_user(customer)
    assert len(customer.pbx.users) == 1  # nothing deleted


def test_a_demo_is_never_billed_and_billing_starts_at_the_conversion(
        make_customer, make_user, freeze, staff_actor, price_list):
    freeze(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    customer = make_customer(licence=LicenceKind.DEMO, licence_start=date(2026, 10, 20))
    for _ in range(3):
        make_user(customer)
    freeze(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    accounts.change_licence(staff_actor, customer.pbx, licence=LicenceKind.BASE)
    make_user(customer)
    freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert not [l for l in services.draft(2026, 10).lines if l.customer_id == customer.id]
    november = {l.item: l.quantity for l in services.draft(2026, 11).lines if l.customer_id == customer.id}
    assert november == {"klare": 4, "base": 1}

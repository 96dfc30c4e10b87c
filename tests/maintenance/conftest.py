import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.maintenance import services
from console.maintenance.models import EmergencyReason, NoticeOptIn, WindowKind


@pytest.fixture
def schedule():
    def _schedule(start, end, kind=WindowKind.REGULAR, pbxs=(), **kw):
        return services.schedule(actor_label="staff@stimme.example", kind=kind,
                                 reason=EmergencyReason.SECURITY if kind is WindowKind.EMERGENCY else None,
                                 starts_at=start, ends_at=end, pbxs=list(pbxs), title_de=kw.pop("title_de", "Update"),
                                 title_en=kw.pop("title_en", "Update"), **kw)
    return _schedule


@pytest.fixture
def network(make_reseller, make_customer, make_login):
    """Two resellers with a customer each; the first customer's admin opted in to notices, the second's did not."""
    nord = make_reseller("Nord", language="de")
    sued = make_reseller("Süd", language="en")
    kunde_nord, kunde_sued = make_customer(nord, name="Kunde Nord"), make_customer(sued, name="Kunde Süd")
    admin_nord = make_login(Role.CUSTOMER_ADMIN, email="admin@nord.example", customer=kunde_nord, language="en")
    make_login(Role.CUSTOMER_ADMIN, email="admin@sued.example", customer=kunde_sued)
    db.session.add(NoticeOptIn(login_id=admin_nord.id))
    db.session.flush()
    return nord, sued, kunde_nord, kunde_sued


def outbox(template="maintenance/notice"):
    from console.mail.models import OutboxMessage
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                   .order_by(OutboxMessage.id)))

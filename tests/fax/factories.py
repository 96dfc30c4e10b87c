"""Fax objects for the route-enumerating tests (tests/test_tenancy.py, tests/test_pages.py): a delivered incoming
fax of a user, with its PDF on disk when the test has a fax directory (the tenancy walk needs no file: its routes
must 404 before any file is read)."""
from __future__ import annotations

from console import clock
from console.extensions import db
from console.fax.models import Direction, Fax, FaxState


def fax_ids(customer, user=None, pdf: bytes | None = None) -> dict:
    user = user or customer.pbx.users[0]
    fax = Fax(direction=Direction.IN, state=FaxState.DELIVERED, pbx_id=customer.pbx.id, phone_user_id=user.id,
              local_number=user.fax_number or "+4930770099", remote_number="+49891234567", pages=1,
              created_at=clock.now())
    db.session.add(fax)
    db.session.flush()
    if pdf is not None:
        from console.fax import store
        fax.pdf_path = store.write(f"in/{fax.id}.pdf", pdf)
        db.session.flush()
    return {"fax_id": fax.id}

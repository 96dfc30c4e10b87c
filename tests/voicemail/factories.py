"""Voicemail objects for the route-enumerating tests (tests/test_tenancy.py, tests/test_pages.py,
tests/test_routes_hostile.py): a mailed message of the customer's first user and a store token."""
from __future__ import annotations

from console import clock
from console.extensions import db
from console.voicemail import inbox, store
from console.voicemail.models import Voicemail, VoicemailState


def voicemail_ids(customer, tag: str = "", user=None) -> dict:
    pbx = customer.pbx
    user = user or pbx.users[0]
    relative = f"{user.extension}/msg-{tag or 'x'}.g711a"
    store.write(store.resolve(pbx.id, relative), b"\xd5" * 8000)   # one second of A-law silence
    row = Voicemail(pbx_id=pbx.id, phone_user_id=user.id, mailbox=user.extension, path=relative, codec="g711a",
                    size=8000, caller_number="+49301234567", caller_name=f"Anrufer{tag}", received_at=clock.now(),
                    duration_seconds=1.0, state=VoicemailState.MAILED, attempts=1, created_at=clock.now())
    db.session.add(row)
    token, _ = inbox.issue_token(pbx, f"Speicher{tag}")
    db.session.flush()
    return {"voicemail_id": row.id, "voicemail_token_id": token.id}

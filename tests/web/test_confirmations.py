"""Every delete and revoke asks first on a page of its own (no JavaScript needed); the POST with its CSRF token
does it, a GET changes nothing."""
from sqlalchemy import select

from console.accounts.models import PhoneUser
from console.auth.models import Role
from console.extensions import db
from console.incidents import services as incidents


def test_deleting_a_user_and_revoking_a_token_ask_on_a_confirmation_page(make_customer, make_user, make_login,
                                                                          signed_in):
    customer = make_customer()
    user = make_user(customer)
    token, _secret = incidents.issue_token(customer.reseller, "Ticketsystem")
    db.session.flush()
    staff = signed_in(make_login(Role.STAFF_ADMIN, language="en"))
    staff.post("/language", {"language": "en"})
    user_page = staff.get(f"/users/{user.id}").get_data(as_text=True)
    assert f'href="/users/{user.id}/delete"' in user_page          # a link to the question, not a POST
    ask = staff.get(f"/users/{user.id}/delete").get_data(as_text=True)
    assert "Delete this user?" in ask and user.name in ask and 'class="danger"' in ask
    assert 'name="csrf_token"' in ask and f'href="/users/{user.id}"' in ask      # and a way back
    assert db.session.get(PhoneUser, user.id) is not None                        # asking deleted nothing
    user_id = user.id
    assert staff.post(f"/users/{user_id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(PhoneUser).where(PhoneUser.id == user_id)) is None
    ask = staff.get(f"/incidents/api-tokens/{token.id}/revoke").get_data(as_text=True)
    assert "Revoke this token?" in ask and "Ticketsystem" in ask
    assert token.revoked_at is None
    staff.post(f"/incidents/api-tokens/{token.id}/revoke")
    db.session.refresh(token)
    assert token.revoked_at is not None

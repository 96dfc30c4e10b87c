"""The fax log: a user sees their own faxes (in and out) and opens the PDF; nobody sees another tenant's; the
user's fax number, the address to mail faxes to, and their options. Fax numbers: in the block, unique."""
import pytest

from console import clock
from console.accounts.models import Package
from console.auth.models import Role
from console.errors import RuleViolation
from console.extensions import db
from console.fax import numbers, store
from console.fax.models import Direction, Fax, FaxState
from tests.fax import documents


@pytest.fixture
def fax_dir(configure, tmp_path):
    configure(fax_dir=str(tmp_path / "fax"), fax_domain="fax.stimme.test")


def _volle(make_customer, make_user, suffix="98"):
    customer = make_customer()
    base = customer.pbx.sites[0].trunk.base_number
    user = make_user(customer, package=Package.VOLLE, email=f"volle{suffix}@kunde.example",
                     fax_number=base + suffix)
    return customer, user


def _fax(user, pdf: bytes) -> Fax:
    fax = Fax(direction=Direction.IN, state=FaxState.DELIVERED, pbx_id=user.pbx_id, phone_user_id=user.id,
              local_number=user.fax_number, remote_number="+49891234567", pages=1, created_at=clock.now())
    db.session.add(fax)
    db.session.flush()
    fax.pdf_path = store.write(f"in/{fax.id}.pdf", pdf)
    db.session.flush()
    return fax


def test_the_user_sees_their_fax_log_number_and_address_and_opens_the_pdf(fax_dir, make_customer, make_user,
                                                                          make_login, signed_in):
    customer, user = _volle(make_customer, make_user)
    pdf = documents.letter_pdf(1)
    fax = _fax(user, pdf)
    browser = signed_in(make_login(Role.END_USER, email="ich@kunde.example", phone_user=user))
    page = browser.get("/fax/").get_data(as_text=True)
    assert "+49 89 1234567" in page and "@fax.stimme.test" in page
    assert f"/fax/{fax.id}/pdf" in page
    opened = browser.get(f"/fax/{fax.id}/pdf")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf" and opened.data == pdf
    assert browser.get(f"/fax/{fax.id}").status_code == 200


def test_another_tenants_fax_does_not_exist_for_you(fax_dir, make_customer, make_user, make_login, signed_in):
    _, mine = _volle(make_customer, make_user)
    _, theirs = _volle(make_customer, make_user, "97")
    fax = _fax(theirs, documents.letter_pdf(1))
    for login in (make_login(Role.END_USER, email="a@kunde.example", phone_user=mine),
                  make_login(Role.CUSTOMER_ADMIN, email="b@kunde.example", customer=mine.pbx.customer)):
        browser = signed_in(login)
        assert browser.get(f"/fax/{fax.id}/pdf").status_code == 404
        assert browser.get(f"/fax/{fax.id}").status_code == 404
        assert f"/fax/{fax.id}" not in browser.get("/fax/").get_data(as_text=True)


def test_the_user_saves_their_fax_options(fax_dir, make_customer, make_user, make_login, signed_in):
    _, user = _volle(make_customer, make_user)
    browser = signed_in(make_login(Role.END_USER, email="ich@kunde.example", phone_user=user))
    response = browser.post("/fax/settings", {"notify_incoming": "on", "error_mail": "on", "language": "en"})
    assert response.status_code == 303
    options = numbers.settings_for(user)
    assert options.notify_incoming and options.error_mail and not options.attach_pdf
    assert not options.send_confirmation and numbers.language_of(user) == "en"


def test_a_fax_number_lies_in_the_users_block_and_is_unique(make_customer, make_user):
    customer, user = _volle(make_customer, make_user)
    with pytest.raises(RuleViolation) as outside:
        make_user(customer, package=Package.VOLLE, fax_number="+49891234567")
    assert "number block" in str(outside.value)
    with pytest.raises(RuleViolation) as taken:
        make_user(customer, package=Package.VOLLE, fax_number=user.fax_number)
    assert "another user" in str(taken.value)

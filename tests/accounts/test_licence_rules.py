"""The licence and tenancy rules of §2–§4, through the services that enforce them."""
from datetime import date

import pytest
from sqlalchemy import select

from console.accounts import services
from console.billing.services import customer_peaks
from console.accounts.models import (
    Feature, LicenceEvent, LicenceKind, Package, Provider, TrunkKind, user_has,
)
from console.auth.models import Login, Role
from console.errors import RuleViolation
from console.extensions import db
from tests.conftest import berlin

RESELLER = Login(role=Role.RESELLER, email="r@test", name="r")


def messages(exc_info) -> str:
    return " ".join(str(m) for m in exc_info.value.errors.values())


# --- demo licence (§2.3) ----------------------------------------------------------------------------------

def test_only_staff_may_assign_a_demo_licence(make_reseller):
    with pytest.raises(RuleViolation) as refused:
        services.create_customer(RESELLER, reseller=make_reseller(), name="X", pbx_name="x.test",
                                 licence=LicenceKind.DEMO, site_name="Z", street="S 1", postcode="10115", city="B")
    assert "Only stimme staff" in messages(refused)


def test_reseller_may_not_switch_a_pbx_to_demo(make_customer):
    customer = make_customer()
    with pytest.raises(RuleViolation) as refused:
        services.change_licence(RESELLER, customer.pbx, licence=LicenceKind.DEMO)
    assert "Only stimme staff" in messages(refused)
    assert customer.pbx.licence is LicenceKind.BASE


def test_demo_allows_three_users(make_customer, make_user):
    customer = make_customer(licence=LicenceKind.DEMO)
    for _ in range(3):
        make_user(customer)
    with pytest.raises(RuleViolation) as refused:
        make_user(customer)
    assert "at most 3 users" in messages(refused)
    assert len(customer.pbx.users) == 3


def test_demo_allows_one_trunk(make_customer, staff_actor):
    customer = make_customer(licence=LicenceKind.DEMO)
    second = services.save_site(None, pbx=customer.pbx, name="Filiale", street="Weg 2", postcode="10115",
                                city="Berlin")
    with pytest.raises(RuleViolation) as refused:
        services.save_trunk(None, site=second, kind=TrunkKind.SIP, provider=Provider.PEOPLEFONE, provider_name=None,
                            base_number="030 2345670", first_extension="0", last_extension="9")
    assert "at most 1 trunk" in messages(refused)


def test_switching_to_demo_is_refused_with_too_many_users(make_customer, make_user, staff_actor):
    customer = make_customer()
    for _ in range(4):
        make_user(customer)
    with pytest.raises(RuleViolation) as refused:
        services.change_licence(staff_actor, customer.pbx, licence=LicenceKind.DEMO)
    assert "at most 3 users" in messages(refused)


def test_demo_ends_28_days_after_it_starts(make_customer, freeze):
    freeze(berlin(2026, 3, 2, 9))
    customer = make_customer(licence=LicenceKind.DEMO, licence_start=date(2026, 3, 2))
    assert customer.pbx.demo_end == date(2026, 3, 29)
    freeze(berlin(2026, 3, 29, 23, 59))
    assert not customer.pbx.demo_expired()
    freeze(berlin(2026, 3, 30, 0, 0))
    assert customer.pbx.demo_expired()


def test_expired_demo_accepts_no_new_users_and_loses_no_data(make_customer, make_user, freeze):
    freeze(berlin(2026, 3, 2, 10))
    customer = make_customer(licence=LicenceKind.DEMO, licence_start=date(2026, 3, 2))
    existing = make_user(customer, first_name="Bleibt")
    freeze(berlin(2026, 4, 15, 10))
    with pytest.raises(RuleViolation) as refused:
        make_user(customer)
    assert "ended on 29.03.2026" in messages(refused)
    assert [u.id for u in customer.pbx.users] == [existing.id]
    # the existing user can still be edited, and converting to a base licence lifts the block
    services.change_licence(RESELLER, customer.pbx, licence=LicenceKind.BASE)
    assert make_user(customer).id


# --- packages and gates (§4) ------------------------------------------------------------------------------

def test_packages_are_cumulative():
    assert Package.VOLLE.includes(Package.KLINGENDE) and Package.VOLLE.includes(Package.KLARE)
    assert Package.KLINGENDE.includes(Package.KLARE) and not Package.KLINGENDE.includes(Package.VOLLE)


@pytest.mark.parametrize("package, voicemail, fax", [
    (Package.KLARE, False, False), (Package.KLINGENDE, True, False), (Package.VOLLE, True, True)])
def test_package_gates(make_customer, make_user, package, voicemail, fax):
    user = make_user(make_customer(), package=package)
    assert user_has(user, Feature.VOICEMAIL_TO_MAIL) is voicemail
    assert user_has(user, Feature.FAX) is fax


def test_personal_fax_number_needs_volle(make_customer, make_user):
    customer = make_customer()
    with pytest.raises(RuleViolation) as refused:
        make_user(customer, package=Package.KLINGENDE, fax_number="030 99887766")
    assert "Volle stimme" in messages(refused)
    base = customer.pbx.sites[0].trunk.base_number   # +4930<n>0: the block -0 … -99
    written = f"0{base[3:5]} / {base[5:]}-98"
    user = make_user(customer, package=Package.VOLLE, fax_number=written)
    assert user.fax_number == base + "98"


# --- trunks, number blocks, extensions (§3) ---------------------------------------------------------------

def test_extension_must_lie_in_the_trunk_block(make_customer, make_user):
    customer = make_customer()  # block 0 … 99
    assert make_user(customer, extension="0").extension == "0"
    assert make_user(customer, extension="99").extension == "99"
    for outside in ("100", "099"):
        with pytest.raises(RuleViolation) as refused:
            make_user(customer, extension=outside)
        assert "outside the number block" in messages(refused)
    for not_digits in ("abc", "-1", "²", "١٢"):  # "²" and "١٢" pass str.isdigit()
        with pytest.raises(RuleViolation) as refused:
            make_user(customer, extension=not_digits)
        assert "digits 0–9 only" in messages(refused)


def test_extension_is_unique_per_pbx(make_customer, make_user):
    customer = make_customer()
    make_user(customer, extension="20", last_name="Erste")
    with pytest.raises(RuleViolation) as refused:
        make_user(customer, extension="20")
    assert "belongs to" in messages(refused)


def test_user_needs_a_site_with_a_trunk(make_customer, make_user):
    customer = make_customer(trunk=False)
    with pytest.raises(RuleViolation) as refused:
        make_user(customer, extension="10")
    assert "has no trunk" in messages(refused)


def test_one_trunk_per_site(make_customer):
    customer = make_customer()
    with pytest.raises(RuleViolation) as refused:
        services.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                            provider_name=None, base_number="030 5550000", first_extension="0", last_extension="9")
    assert "at most one" in messages(refused)


def test_trunk_number_block_is_stored_in_e164(make_customer):
    customer = make_customer(trunk=False)
    trunk = services.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.PLUSNET,
                                provider_name=None, base_number="+49 (0)30 1234567", first_extension="0",
                                last_extension="99")
    assert trunk.base_number == "+49301234567"
    assert trunk.number_for("42") == "+4930123456742"


def test_isdn_trunk_needs_the_extended_licence(make_customer):
    customer = make_customer(trunk=False)
    with pytest.raises(RuleViolation) as refused:
        services.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.ISDN, provider=None,
                            provider_name=None, base_number="030 1234567", first_extension="0", last_extension="9")
    assert "extended base licence" in messages(refused)
    extended = make_customer(licence=LicenceKind.EXTENDED, trunk=False)
    services.save_trunk(None, site=extended.pbx.sites[0], kind=TrunkKind.ISDN, provider=None, provider_name=None,
                        base_number="030 7654321", first_extension="0", last_extension="9")


def test_other_provider_must_be_named(make_customer):
    customer = make_customer(trunk=False)
    with pytest.raises(RuleViolation) as refused:
        services.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.OTHER,
                            provider_name="", base_number="030 1234567", first_extension="0", last_extension="9")
    assert "provider_name" in refused.value.errors


def test_shrinking_a_block_below_used_extensions_is_refused(make_customer, make_user):
    customer = make_customer()
    make_user(customer, extension="55")
    trunk = customer.pbx.sites[0].trunk
    with pytest.raises(RuleViolation) as refused:
        services.save_trunk(trunk, site=trunk.site, kind=TrunkKind.SIP, provider=Provider.TELEKOM, provider_name=None,
                            base_number=trunk.base_number, first_extension="0", last_extension="9")
    assert "55" in messages(refused)


def test_extended_licence_needs_the_gateway_serial(make_customer, staff_actor):
    customer = make_customer()
    with pytest.raises(RuleViolation) as refused:
        services.change_licence(staff_actor, customer.pbx, licence=LicenceKind.EXTENDED, gateway_serial="")
    assert "IP411" in messages(refused)


def test_home_office_needs_the_emergency_call_notice(make_customer, make_user):
    customer = make_customer()
    with pytest.raises(RuleViolation) as refused:
        make_user(customer, home_office=True)
    assert "emergency" in messages(refused)
    user = make_user(customer, home_office=True, emergency_notice_given=True)
    assert user.emergency_notice_at is not None


def test_main_site_cannot_be_deleted_nor_a_site_with_users(make_customer, make_user):
    customer = make_customer()
    with pytest.raises(RuleViolation):
        services.delete_site(customer.pbx.sites[0])
    branch = services.save_site(None, pbx=customer.pbx, name="Filiale", street="Weg 2", postcode="10115",
                                city="Berlin")
    services.save_trunk(None, site=branch, kind=TrunkKind.SIP, provider=Provider.TELEKOM, provider_name=None,
                        base_number="030 4445550", first_extension="0", last_extension="9")
    make_user(customer, site=branch, extension="5")
    with pytest.raises(RuleViolation) as refused:
        services.delete_site(branch)
    assert "1 users" in messages(refused)


# --- licence history and the monthly peak (§2 billing) ------------------------------------------------------

def test_history_records_users_packages_sites_and_licences(make_customer, make_user, staff_actor):
    customer = make_customer()
    user = make_user(customer, package=Package.KLARE)
    services.save_phone_user(user, pbx=customer.pbx, site=user.site, first_name=user.first_name,
                             last_name=user.last_name, extension=user.extension, package=Package.VOLLE)
    services.change_licence(staff_actor, customer.pbx, licence=LicenceKind.EXTENDED, gateway_serial="IP411-1")
    services.delete_phone_user(user)
    kinds = [(e.kind.value, e.old_value, e.new_value) for e in db.session.scalars(
        select(LicenceEvent).where(LicenceEvent.customer_id == customer.id).order_by(LicenceEvent.id))]
    assert kinds == [
        ("licence_changed", None, "base"), ("site_added", None, "main"), ("user_added", None, "klare"),
        ("package_changed", "klare", "volle"), ("licence_changed", "base", "extended"),
        ("user_removed", "volle", None)]


def _users_and_sites(peaks: dict[str, int]) -> dict[str, int]:
    return {k: peaks[k] for k in ("klare", "klingende", "volle", "additional_sites")}


def test_the_peak_counts_the_maximum_not_the_end_of_month(make_customer, make_user, freeze):
    freeze(berlin(2026, 10, 20, 9))
    customer = make_customer()
    a = make_user(customer, package=Package.KLARE)
    freeze(berlin(2026, 11, 3, 9))
    b = make_user(customer, package=Package.KLARE)
    c = make_user(customer, package=Package.VOLLE)
    freeze(berlin(2026, 11, 10, 9))
    services.delete_phone_user(b)
    services.delete_phone_user(c)
    freeze(berlin(2026, 11, 20, 9))
    services.save_site(None, pbx=customer.pbx, name="Filiale", street="Weg 2", postcode="10115", city="Berlin")
    # November 1 00:00 Berlin: a user added on 30 Nov 23:30 UTC (= 1 Dec Berlin) belongs to December
    freeze(berlin(2026, 12, 1, 0, 30))
    make_user(customer, package=Package.VOLLE)

    assert _users_and_sites(customer_peaks(customer.id, 2026, 10)) == {"klare": 1, "klingende": 0, "volle": 0, "additional_sites": 0}
    assert _users_and_sites(customer_peaks(customer.id, 2026, 11)) == {"klare": 2, "klingende": 0, "volle": 1, "additional_sites": 1}
    assert _users_and_sites(customer_peaks(customer.id, 2026, 12)) == {"klare": 1, "klingende": 0, "volle": 1, "additional_sites": 1}
    assert a.id

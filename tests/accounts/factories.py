"""A reseller with one customer (a PBX with one site in Berlin and a SIP trunk), built through the services as
staff would: for the tests that run their own installations (tests/stack/seed.py, tests/ops/test_takeover.py),
where the conftest's make_customer fixture (bound to the suite's database) is not there."""
from __future__ import annotations

from console.accounts import services as accounts
from console.accounts.models import LicenceKind, Provider, TrunkKind


def reseller_with_customer(staff, n: int, reseller_name: str, customer_name: str, pbx_name: str,
                           base_number: str):
    reseller = accounts.save_reseller(None, name=reseller_name, notice_email=f"noc{n}@reseller.example")
    customer = accounts.create_customer(
        staff, reseller=reseller, name=customer_name, pbx_name=pbx_name, licence=LicenceKind.BASE,
        site_name="Zentrale", street="Hauptstraße 1", postcode="10115", city="Berlin")
    accounts.save_trunk(None, site=customer.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.TELEKOM,
                        provider_name=None, base_number=base_number, first_extension="0", last_extension="99")
    return reseller, customer

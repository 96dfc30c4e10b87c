from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from console.billing import services

UTC = timezone.utc


@pytest.fixture
def price_list():
    """Prices valid since 2026-01-01 (cents): what the statements below multiply with."""
    for item, cents in {"klare": 500, "klingende": 900, "volle": 1500, "base": 2000, "extended": 3500,
                        "additional_sites": 1000, "onsite_hour": 9600}.items():
        services.set_price(item, date(2026, 1, 1), cents)


@pytest.fixture
def november_customer(freeze, make_customer, make_user, price_list):
    """A base customer created in October; in November 3 Klare users at the peak, one changed to Volle."""
    freeze(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    customer = make_customer()
    first = make_user(customer)
    make_user(customer)
    freeze(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    make_user(customer)
    freeze(datetime(2026, 11, 6, 9, 0, tzinfo=UTC))
    from console.accounts import services as accounts
    from console.accounts.models import Package
    accounts.save_phone_user(first, pbx=customer.pbx, site=first.site, first_name=first.first_name,
                             last_name=first.last_name, extension=first.extension, package=Package.VOLLE)
    return customer

"""Demo data: two resellers, three customers (one on a demo licence), sites, trunks, users on every package.

Only in demo mode; the logins all have the password "demo" (listed in the README).
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from console import clock
from console.accounts import services as accounts
from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
from console.auth.models import Login, Role
from console.auth.services import save_login
from console.extensions import db

DEMO_PASSWORD = "demo"
DEMO_LOGINS = [
    ("staff@example.com", "stimme staff"),
    ("reseller@example.com", "Reseller Nord"),
    ("reseller2@example.com", "Reseller Süd"),
    ("customer-admin@example.com", "Customer admin of Müller GmbH"),
    ("user@example.com", "End user at Müller GmbH"),
]


class DemoRefused(RuntimeError):
    """Demo data was asked for where it must not be: its logins have a published password."""


def load_demo_data() -> bool:
    """Create the demo data unless it is there. Returns whether anything was created."""
    settings = current_app.extensions["settings"]
    if settings.production:
        raise DemoRefused(_("Demo data is never loaded in production (CONSOLE_ENV=production): its logins all "
                            "have the password “demo”."))
    if not settings.demo:
        raise DemoRefused(_("Demo data is loaded only in demo mode: set DEMO=1 (never in production)."))
    from console.media.standard import ensure_standard_hold_music
    music = ensure_standard_hold_music()   # idempotent: every PBX plays it until it has its own hold music
    from console.directory.demo import load_demo_phonebook
    if db.session.scalar(select(Login).where(Login.email == "staff@example.com")):
        return load_demo_phonebook() or music
    staff = Login(role=Role.STAFF_ADMIN, email="demo-loader", name="demo loader")  # acting principal only
    kw = {"password": DEMO_PASSWORD, "skip_password_rules": True}
    save_login(staff, None, email="staff@example.com", name="Stefanie Staff", role=Role.STAFF_ADMIN, **kw)
    save_login(staff, None, email="support@example.com", name="Sven Support", role=Role.STAFF_SUPPORT, **kw)

    nord = accounts.save_reseller(None, name="TK-Partner Nord GmbH", notice_email="technik@tk-nord.example",
                                  phone="040 1234567")
    sued = accounts.save_reseller(None, name="Süd-Telefonie KG", notice_email="noc@sued-tel.example",
                                  phone="089 7654321", language="de")
    today = clock.today_berlin()

    mueller = accounts.create_customer(
        staff, reseller=nord, name="Müller GmbH", customer_number="K-10001", contact_email="it@mueller.example",
        pbx_name="mueller.stimme.cloud", licence=LicenceKind.BASE, licence_start=today - timedelta(days=400),
        site_name="Zentrale Hamburg", street="Große Elbstraße 12", postcode="22767", city="Hamburg")
    main = mueller.pbx.sites[0]
    accounts.save_trunk(None, site=main, kind=TrunkKind.SIP, provider=Provider.PEOPLEFONE, provider_name=None,
                        base_number="040 3012345", first_extension="0", last_extension="99")
    branch = accounts.save_site(None, pbx=mueller.pbx, name="Filiale Lübeck", street="Breite Straße 3",
                                postcode="23552", city="Lübeck")
    accounts.save_trunk(None, site=branch, kind=TrunkKind.SIP, provider=Provider.TELEKOM, provider_name=None,
                        base_number="0451 987650", first_extension="0", last_extension="9")
    people = [
        (main, "Jürgen", "Müller", "10", Package.VOLLE, "+49 40 3012345-99", False),
        (main, "Anna", "Schäfer", "11", Package.KLINGENDE, None, False),
        (main, "Özlem", "Yılmaz", "12", Package.KLARE, None, True),
        (branch, "Lars", "Petersen", "1", Package.KLINGENDE, None, False),
    ]
    users = []
    for site, first, last, ext, package, fax, home in people:
        users.append(accounts.save_phone_user(
            None, pbx=mueller.pbx, site=site, first_name=first, last_name=last, extension=ext, package=package,
            email=f"{last.lower()}@mueller.example".replace("ü", "ue").replace("ä", "ae").replace("ı", "i"),
            fax_number=fax, home_office=home, emergency_notice_given=home))

    baeckerei = accounts.create_customer(
        staff, reseller=nord, name="Bäckerei Sonnenschein", customer_number="K-10002",
        pbx_name="sonnenschein.stimme.cloud", licence=LicenceKind.EXTENDED, gateway_serial="IP411-009F3A",
        site_name="Backstube", street="Mühlenweg 5", postcode="24103", city="Kiel")
    accounts.save_trunk(None, site=baeckerei.pbx.sites[0], kind=TrunkKind.ISDN, provider=None, provider_name=None,
                        base_number="0431 55443", first_extension="0", last_extension="9")
    accounts.save_phone_user(None, pbx=baeckerei.pbx, site=baeckerei.pbx.sites[0], first_name="Heike",
                             last_name="Sonnenschein", extension="1", package=Package.KLARE)

    probe = accounts.create_customer(
        staff, reseller=sued, name="Alpen Consulting AG", customer_number="K-20001",
        pbx_name="alpen-demo.stimme.cloud", licence=LicenceKind.DEMO, licence_start=today - timedelta(days=10),
        site_name="Büro München", street="Leopoldstraße 77", postcode="80802", city="München")
    accounts.save_trunk(None, site=probe.pbx.sites[0], kind=TrunkKind.SIP, provider=Provider.PLUSNET,
                        provider_name=None, base_number="089 4400110", first_extension="0", last_extension="9")
    accounts.save_phone_user(None, pbx=probe.pbx, site=probe.pbx.sites[0], first_name="Maximilian",
                             last_name="Huber", extension="1", package=Package.VOLLE, email="huber@alpen.example")

    save_login(staff, None, email="reseller@example.com", name="Rita Reseller", role=Role.RESELLER,
               reseller=nord, **kw)
    save_login(staff, None, email="reseller2@example.com", name="Sepp Süd", role=Role.RESELLER, reseller=sued, **kw)
    save_login(staff, None, email="customer-admin@example.com", name="Carla Admin", role=Role.CUSTOMER_ADMIN,
               customer=mueller, **kw)
    save_login(staff, None, email="user@example.com", name="Anna Schäfer", role=Role.END_USER,
               phone_user=users[1], **kw)
    db.session.flush()
    load_demo_phonebook()
    from console.maintenance.demo import load_demo_windows
    load_demo_windows()
    from console.incidents.demo import load_demo_incidents
    load_demo_incidents()
    return True

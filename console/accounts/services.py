"""The licence and tenancy rules (§2, §3, §4). Services validate, change rows and flush — never commit."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from console import clock
from console.accounts.models import (
    Customer, LicenceEvent, LicenceEventKind as Ev, LicenceKind, Package, PhoneUser, Pbx, Provider, Reseller,
    Site, Trunk, TrunkKind,
)
from console.auth.models import Login
from console.bounds import is_ascii_digits
from console.errors import RuleViolation
from console.extensions import db
from console.phone import InvalidNumber, to_e164, to_e164_prefix

DEMO_MAX_USERS = 3
DEMO_MAX_TRUNKS = 1
# A PBX is named by its host name (RFC 1123): dot-separated labels of a–z, 0–9 and inner hyphens, 1–63
# characters each, at most 100 in all (the column; RFC 1123 allows 253). The name becomes part of LDAP DNs
# and URLs; nothing else is accepted.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,100}}$){_LABEL}(?:\.{_LABEL})*", re.ASCII)
# "²" and "٣" pass str.isdigit(); a PBX dials only 0–9.
EXTENSION_DIGITS = _l("An extension is written with the digits 0–9 only, e.g. 0 to 99.")


def _history(customer_id: int, kind: Ev, subject_id: int | None = None,
             old: str | None = None, new: str | None = None) -> None:
    db.session.add(LicenceEvent(customer_id=customer_id, kind=kind, subject_id=subject_id,
                                old_value=old, new_value=new, at=clock.now()))


def _number(field: str, raw: str, region: str) -> str:
    try:
        return to_e164(raw, region)
    except InvalidNumber as exc:
        raise RuleViolation({field: exc.message}) from None


# --- resellers and customers -------------------------------------------------------------------------

def save_reseller(reseller: Reseller | None, *, name: str, notice_email: str, phone: str | None = None,
                  language: str = "de") -> Reseller:
    name = name.strip()
    clash = db.session.scalar(select(Reseller).where(func.lower(Reseller.name) == name.lower()))
    if clash is not None and clash is not reseller:
        raise RuleViolation(name=_l("A reseller named \"%(name)s\" exists already.", name=name))
    if reseller is None:
        reseller = Reseller()
        db.session.add(reseller)
    reseller.name = name
    reseller.notice_email = notice_email.strip().lower()
    reseller.phone = _number("phone", phone, "DE") if phone else None
    reseller.language = language
    db.session.flush()
    return reseller


def create_customer(actor: Login, *, reseller: Reseller, name: str, pbx_name: str, licence: LicenceKind,
                    licence_start: date | None = None, country: str = "DE", customer_number: str | None = None,
                    contact_email: str | None = None, gateway_serial: str | None = None,
                    site_name: str, street: str, postcode: str, city: str) -> Customer:
    """A customer comes with its one PBX, its licence and its main site (§2.1)."""
    _check_licence_assignment(actor, licence, gateway_serial)
    pbx_name = check_pbx_name(pbx_name)
    if db.session.scalar(select(Pbx).where(func.lower(Pbx.name) == pbx_name)):
        raise RuleViolation(pbx_name=_l("The PBX name \"%(name)s\" is taken.", name=pbx_name))
    if customer_number and db.session.scalar(select(Customer).where(Customer.customer_number == customer_number)):
        raise RuleViolation(customer_number=_l("Customer number %(n)s is taken.", n=customer_number))
    customer = Customer(reseller=reseller, name=name.strip(), customer_number=customer_number or None,
                        contact_email=(contact_email or "").strip().lower() or None)
    pbx = Pbx(customer=customer, name=pbx_name, country=country, licence=licence,
              licence_start=licence_start or clock.today_berlin(), gateway_serial=gateway_serial or None)
    site = Site(pbx=pbx, name=site_name.strip(), is_main=True, street=street.strip(), postcode=postcode.strip(),
                city=city.strip(), country=country)
    db.session.add_all([customer, pbx, site])
    db.session.flush()
    _history(customer.id, Ev.LICENCE_CHANGED, pbx.id, None, licence.value)
    _history(customer.id, Ev.SITE_ADDED, site.id, None, "main")
    return customer


def check_pbx_name(raw: str) -> str:
    """The PBX name in its stored form (lower case), or RuleViolation when it is not a host name."""
    name = (raw or "").strip().lower()
    if not HOST_NAME.fullmatch(name):
        raise RuleViolation(pbx_name=_l("Enter the PBX's host name, e.g. mueller.stimme.cloud: letters a–z, digits "
                                        "and hyphens, in parts separated by dots; a part neither starts nor ends "
                                        "with a hyphen; at most 100 characters."))
    return name


def update_customer(customer: Customer, *, name: str, customer_number: str | None,
                    contact_email: str | None) -> Customer:
    if customer_number:
        clash = db.session.scalar(select(Customer).where(Customer.customer_number == customer_number))
        if clash is not None and clash is not customer:
            raise RuleViolation(customer_number=_l("Customer number %(n)s is taken.", n=customer_number))
    customer.name = name.strip()
    customer.customer_number = customer_number or None
    customer.contact_email = (contact_email or "").strip().lower() or None
    db.session.flush()
    return customer


def _check_licence_assignment(actor: Login, licence: LicenceKind, gateway_serial: str | None) -> None:
    if licence is LicenceKind.DEMO and not actor.is_staff:
        raise RuleViolation(licence=_l("Only stimme staff may assign a demo licence."))
    if licence is LicenceKind.EXTENDED and not (gateway_serial or "").strip():
        raise RuleViolation(gateway_serial=_l("The extended base licence includes a rented IP411 gateway: "
                                              "enter its serial number."))


def change_licence(actor: Login, pbx: Pbx, *, licence: LicenceKind, licence_start: date | None = None,
                   gateway_serial: str | None = None) -> Pbx:
    _check_licence_assignment(actor, licence, gateway_serial)
    if licence is LicenceKind.DEMO:
        if len(pbx.users) > DEMO_MAX_USERS:
            raise RuleViolation(licence=_l("A demo licence allows at most %(n)d users; this PBX has %(m)d.",
                                           n=DEMO_MAX_USERS, m=len(pbx.users)))
        if _trunk_count(pbx) > DEMO_MAX_TRUNKS:
            raise RuleViolation(licence=_l("A demo licence allows at most %(n)d trunk; this PBX has %(m)d.",
                                           n=DEMO_MAX_TRUNKS, m=_trunk_count(pbx)))
    old = pbx.licence
    if old is not licence:
        pbx.licence_start = licence_start or clock.today_berlin()
        _history(pbx.customer_id, Ev.LICENCE_CHANGED, pbx.id, old.value, licence.value)
    elif licence_start:
        pbx.licence_start = licence_start
    pbx.licence = licence
    pbx.gateway_serial = (gateway_serial or "").strip() or None if licence is LicenceKind.EXTENDED else None
    db.session.flush()
    return pbx


def _trunk_count(pbx: Pbx) -> int:
    return db.session.scalar(select(func.count(Trunk.id)).join(Site).where(Site.pbx_id == pbx.id)) or 0


def _refuse_if_demo_expired(pbx: Pbx, field: str = "") -> None:
    if pbx.demo_expired():
        raise RuleViolation({field: _l("The demo licence of %(pbx)s ended on %(end)s. Nothing can be added until "
                                       "it is converted to a base licence; existing data is kept.",
                                       pbx=pbx.name, end=pbx.demo_end.strftime("%d.%m.%Y"))})


# --- sites and trunks ---------------------------------------------------------------------------------

def save_site(site: Site | None, *, pbx: Pbx, name: str, street: str, postcode: str, city: str,
              country: str = "DE") -> Site:
    name = name.strip()
    clash = db.session.scalar(select(Site).where(Site.pbx_id == pbx.id, func.lower(Site.name) == name.lower()))
    if clash is not None and clash is not site:
        raise RuleViolation(name=_l("This PBX has a site named \"%(name)s\" already.", name=name))
    if site is None:
        _refuse_if_demo_expired(pbx)
        site = Site(pbx=pbx, is_main=False)
        db.session.add(site)
        created = True
    else:
        created = False
    site.name, site.street, site.postcode, site.city, site.country = (
        name, street.strip(), postcode.strip(), city.strip(), country)
    db.session.flush()
    if created:
        _history(pbx.customer_id, Ev.SITE_ADDED, site.id, None, "additional")  # §2.4, a paid option
    return site


def delete_site(site: Site) -> None:
    if site.is_main:
        raise RuleViolation({"": _l("The main site cannot be deleted.")})
    users = db.session.scalar(select(func.count(PhoneUser.id)).where(PhoneUser.site_id == site.id))
    if users:
        raise RuleViolation({"": _l("%(n)d users are assigned to this site. Move them to another site first.",
                                    n=users)})
    if site.trunk is not None:
        db.session.delete(site.trunk)
    _history(site.pbx.customer_id, Ev.SITE_REMOVED, site.id, "additional", None)
    db.session.delete(site)
    db.session.flush()


def save_trunk(trunk: Trunk | None, *, site: Site, kind: TrunkKind, provider: Provider | None,
               provider_name: str | None, base_number: str, first_extension: str, last_extension: str) -> Trunk:
    pbx = site.pbx
    errors: dict = {}
    if trunk is None:
        _refuse_if_demo_expired(pbx)
        if site.trunk is not None:
            raise RuleViolation(site=_l("Site %(site)s has a trunk already; a site has at most one.", site=site.name))
        if pbx.licence is LicenceKind.DEMO and _trunk_count(pbx) >= DEMO_MAX_TRUNKS:
            raise RuleViolation({"": _l("A demo licence allows at most %(n)d trunk.", n=DEMO_MAX_TRUNKS)})
    if kind is TrunkKind.SIP and provider is None:
        errors["provider"] = _l("Choose the SIP provider.")
    if kind is TrunkKind.SIP and provider is Provider.OTHER and not (provider_name or "").strip():
        errors["provider_name"] = _l("Name the provider (it must be one tested by innovaphone).")
    if kind is TrunkKind.ISDN and pbx.licence is not LicenceKind.EXTENDED:
        errors["kind"] = _l("An ISDN trunk needs the gateway of the extended base licence.")
    first, last = first_extension.strip(), last_extension.strip()
    if not (is_ascii_digits(first) and is_ascii_digits(last)):
        errors["first_extension" if not is_ascii_digits(first) else "last_extension"] = EXTENSION_DIGITS
    elif int(first) > int(last) or len(first) > len(last):
        errors["last_extension"] = _l("The last extension must not be lower than the first.")
    try:
        base = to_e164_prefix(base_number, pbx.country)
    except InvalidNumber as exc:
        errors["base_number"] = exc.message
    else:
        if "first_extension" not in errors and "last_extension" not in errors:
            for ext, field in ((first, "first_extension"), (last, "last_extension")):
                try:
                    to_e164(base + ext, pbx.country)
                except InvalidNumber:
                    errors[field] = _l("%(number)s is not a valid number: check the base number and the "
                                       "extension range.", number=base + ext)
    if errors:
        raise RuleViolation(errors)
    if trunk is None:
        trunk = Trunk(site=site)
        db.session.add(trunk)
    else:
        outside = [u for u in site.pbx.users if u.site_id == site.id
                   and not (len(first) <= len(u.extension) <= len(last) and int(first) <= int(u.extension) <= int(last))]
        if outside:
            raise RuleViolation(last_extension=_l("Extensions in use lie outside the new block: %(exts)s.",
                                                  exts=", ".join(u.extension for u in outside)))
    trunk.kind = kind
    trunk.provider = provider if kind is TrunkKind.SIP else None
    trunk.provider_name = (provider_name or "").strip() or None if provider is Provider.OTHER else None
    trunk.base_number, trunk.first_extension, trunk.last_extension = base, first, last
    db.session.flush()
    return trunk


def delete_trunk(trunk: Trunk) -> None:
    users = db.session.scalar(select(func.count(PhoneUser.id)).where(PhoneUser.site_id == trunk.site_id))
    if users:
        raise RuleViolation({"": _l("%(n)d users are reachable through this trunk. Move or delete them first.",
                                    n=users)})
    db.session.delete(trunk)
    db.session.flush()


# --- phone users --------------------------------------------------------------------------------------

def _fax_number_problems(user: PhoneUser | None, site: Site, fax: str) -> dict:
    """A personal fax number lies in the number block of the user's trunk and is nobody else's (§4.3)."""
    trunk = site.trunk
    if trunk is not None and not (fax.startswith(trunk.base_number) and trunk.covers(fax[len(trunk.base_number):])):
        return {"fax_number": _l("The fax number must lie in the number block of site %(site)s (%(block)s).",
                                 site=site.name, block=trunk.block_label)}
    clash = db.session.scalar(select(PhoneUser).where(PhoneUser.fax_number == fax))
    if clash is not None and clash is not user:
        return {"fax_number": _l("This fax number belongs to another user already.")}
    return {}


def save_phone_user(user: PhoneUser | None, *, pbx: Pbx, site: Site, first_name: str, last_name: str,
                    extension: str, package: Package, email: str | None = None, language: str = "de",
                    fax_number: str | None = None, home_office: bool = False,
                    emergency_notice_given: bool = False) -> PhoneUser:
    errors: dict = {}
    if site.pbx_id != pbx.id:
        errors["site_id"] = _l("Choose a site of this PBX.")
    extension = extension.strip()
    if site.trunk is None:
        errors["site_id"] = _l("Site %(site)s has no trunk yet: add its trunk first.", site=site.name)
    elif not is_ascii_digits(extension):
        errors["extension"] = EXTENSION_DIGITS
    elif not site.trunk.covers(extension):
        errors["extension"] = _l("Extension %(ext)s is outside the number block of site %(site)s (%(block)s).",
                                 ext=extension, site=site.name, block=site.trunk.block_label)
    clash = db.session.scalar(select(PhoneUser).where(PhoneUser.pbx_id == pbx.id, PhoneUser.extension == extension))
    if clash is not None and clash is not user:
        errors["extension"] = _l("Extension %(ext)s belongs to %(name)s already.", ext=extension, name=clash.name)
    fax = None
    if fax_number and fax_number.strip():
        if not package.includes(Package.VOLLE):
            errors["fax_number"] = _l("A personal fax number needs the Volle stimme package.")
        else:
            try:
                fax = to_e164(fax_number, pbx.country)
            except InvalidNumber as exc:
                errors["fax_number"] = exc.message
        if fax is not None:
            errors.update(_fax_number_problems(user, site, fax))
    if home_office and not emergency_notice_given:
        errors["emergency_notice_given"] = _l("A user working away from the site must be told to use another "
                                              "phone for emergency calls (§3.3). Confirm that the customer did so.")
    if user is None:
        if pbx.demo_expired():
            _refuse_if_demo_expired(pbx)
        if pbx.licence is LicenceKind.DEMO and len(pbx.users) >= DEMO_MAX_USERS:
            errors[""] = _l("A demo licence allows at most %(n)d users.", n=DEMO_MAX_USERS)
    if errors:
        raise RuleViolation(errors)
    created = user is None
    old_package = None if created else user.package
    if created:
        user = PhoneUser(pbx=pbx)
        db.session.add(user)
    user.site, user.first_name, user.last_name = site, first_name.strip(), last_name.strip()
    user.extension, user.package, user.fax_number = extension, package, fax
    user.email = (email or "").strip().lower() or None
    user.language, user.home_office = language, home_office
    if emergency_notice_given and user.emergency_notice_at is None:
        user.emergency_notice_at = clock.now()
    elif not emergency_notice_given:
        user.emergency_notice_at = None
    db.session.flush()
    if created:
        _history(pbx.customer_id, Ev.USER_ADDED, user.id, None, package.value)
    elif old_package is not package:
        _history(pbx.customer_id, Ev.PACKAGE_CHANGED, user.id, old_package.value, package.value)
    return user


def delete_phone_user(user: PhoneUser) -> None:
    _history(user.pbx.customer_id, Ev.USER_REMOVED, user.id, user.package.value, None)
    for login in db.session.scalars(select(Login).where(Login.phone_user_id == user.id)):
        db.session.delete(login)
    db.session.delete(user)
    db.session.flush()

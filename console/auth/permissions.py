"""What each role may do, per kind of object. Which objects it may touch at all is console.auth.scope's job."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, request
from flask_login import current_user, login_required

from console.auth.models import Login, Role

_STAFF = {Role.STAFF_ADMIN, Role.STAFF_SUPPORT}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# kind → roles that may create, change and delete objects of that kind (within their tenancy)
MANAGE: dict[str, set[Role]] = {
    "reseller": _STAFF,
    "customer": _STAFF | {Role.RESELLER},
    "licence": _STAFF | {Role.RESELLER},
    "site": _STAFF | {Role.RESELLER},
    "trunk": _STAFF | {Role.RESELLER},
    "phone_user": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},
    "login": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},
    "audit": _STAFF,
    "mail": _STAFF,                             # outbox "retry now", inbound retry
    "media": _STAFF | {Role.CUSTOMER_ADMIN},   # §4.1: staff may upload on a customer's behalf
    "incident": _STAFF | {Role.RESELLER},       # §7.9: resellers file (staff on their behalf), reply, complete
    "incident_work": _STAFF,                    # state, priority, assignment, notes, time, merge
    "outage": _STAFF,
    "api_token": _STAFF,
    "sla": {Role.STAFF_ADMIN},
    "maintenance": _STAFF,                      # §7.2–§7.4: only staff schedule maintenance
    "directory_token": _STAFF,                  # bearer tokens for the caller-name lookup API
    "directory_reader": _STAFF,                 # the PBX's LDAP bind password: it reads every book of the PBX
    "exchange": _STAFF,                         # §4.2: Exchange accounts hosted by stimme
    "exchange_sync": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},  # "sync now" on an account they can see
    "shared_book": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},    # a PBX's shared phonebook
    "private_book": {Role.END_USER},            # one's own private phonebook (directory.books gives it to no one else)
    "feed_token": {Role.RESELLER},              # §7.5: the calendar and Atom feed address of their notices
    "notice_opt_in": {Role.CUSTOMER_ADMIN},     # §7.5: maintenance notices for their PBX by e-mail
    "billing": _STAFF,                          # §2: draft, re-run and finalise months; the price list
    "billing_token": _STAFF,                    # bearer tokens for the accounting system
    # §4.2 voicemail: end users their own messages, settings and greeting; customer admins their users'
    "voicemail": {Role.CUSTOMER_ADMIN, Role.END_USER},
    "voicemail_retention": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},   # how long a customer keeps messages
    "voicemail_store": _STAFF,                  # a PBX's store credentials, retrying failed messages
    "fax_settings": {Role.END_USER},            # §4.3: one's own fax options (notify, attach, reports, language)
}

# kind → roles that may list objects of that kind
VIEW: dict[str, set[Role]] = {
    "reseller": _STAFF | {Role.RESELLER},
    "customer": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},
    "phone_user": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN, Role.END_USER},
    "login": MANAGE["login"],
    "audit": _STAFF,
    "mail": _STAFF,
    "media": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},
    "incident": _STAFF | {Role.RESELLER},
    "availability": _STAFF,
    "outage": _STAFF,
    "maintenance": set(Role),                   # everyone sees the windows that affect them
    "directory": set(Role),                     # everyone searches their customer's shared book
    "directory_settings": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},  # PBX settings, Exchange sync report
    "any_reseller": _STAFF,                     # lists span resellers, so they say whose a row is
    "operations": _STAFF,                       # §7.1: the Betrieb page (backups, jobs, mail, dependencies)
    "billing": _STAFF,
    "voicemail": {Role.CUSTOMER_ADMIN, Role.END_USER},   # the web inbox (recordings are private: not staff's)
    "voicemail_retention": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN},
    "voicemail_store": _STAFF,                  # per PBX: the store's address, waiting messages, failures
    "fax": _STAFF | {Role.RESELLER, Role.CUSTOMER_ADMIN, Role.END_USER},  # §4.3: the fax log, in scope
}


def can(login: Login, action: str, kind: str) -> bool:
    table = MANAGE if action == "manage" else VIEW
    return login.is_authenticated and login.role in table.get(kind, set())


def can_manage_login(actor: Login, target: Login) -> bool:
    """Staff logins are managed by staff admins only; nobody else changes a staff login."""
    if target.role.is_staff:
        return actor.role is Role.STAFF_ADMIN
    return can(actor, "manage", "login")


def requires(action: str, *kinds: str, writes: tuple[str, ...] = ()):
    """View decorator: signed in, and the role may `action` ("view" or "manage") objects of one of `kinds`
    (the view checks the object itself where the kinds differ, e.g. a shared or a private phonebook).

    `writes`: a page that viewers see and managers save: a POST also needs "manage" on one of these kinds.
    """
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(can(current_user, action, kind) for kind in kinds):
                abort(403)
            if writes and request.method not in SAFE_METHODS and not any(
                    can(current_user, "manage", kind) for kind in writes):
                abort(403)
            return view(*args, **kwargs)
        wrapped.permission = (action, kinds, writes)  # read by tests/auth/test_write_guards.py
        return wrapped
    return decorator


def register(app: Flask) -> None:
    """Templates ask what the signed-in login may do, never which role it has: {% if can("manage", "media") %}"""
    app.jinja_env.globals["can"] = lambda action, kind: can(current_user, action, kind)

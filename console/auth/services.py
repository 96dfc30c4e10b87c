"""Passwords, sign-in with lockout and throttling, and login accounts."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from console import clock
from console.accounts.models import Customer, PhoneUser, Reseller
from console.auth import sessions
from console.auth.models import Login, LoginAttempt, Role
from console.db import read_first
from console.errors import RuleViolation
from console.extensions import db

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Verifying against this keeps the time of a failed sign-in the same whether or not the address exists.
_DUMMY_HASH = _hasher.hash("no such login")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(login: Login | None, password: str) -> bool:
    return _verify_hash(login.password_hash if login else None, password)


def _verify_hash(stored_hash: str | None, password: str) -> bool:
    """Always one argon2 verify (a dummy one without a hash), so that the time tells nothing."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class SignInRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _refused() -> SignInRefused:
    """The one answer for a wrong address, a wrong password, an inactive and a locked login: which of them it
    was would tell a stranger that the address has an account."""
    settings = current_app.extensions["settings"]
    return SignInRefused(_l("E-mail address or password is wrong, or the login is locked for %(m)d minutes "
                            "after too many failed attempts.", m=settings.login_lockout_minutes))


def authenticate(email: str, password: str, remote_addr: str, devices: Mapping[int, str] | None = None) -> Login:
    """Check a sign-in. Raises SignInRefused with a message that gives nothing away about which part was wrong.

    `devices` maps login ids to the nonces of the valid device cookies the browser sent (console.auth.devices):
    a known device is judged by its own failures instead of the account's lockout. Every attempt that gets past
    the address throttle verifies exactly one argon2 hash (the login's, or a dummy for an unknown address), so
    a locked, an unknown and a wrong answer take the same time.
    """
    settings = current_app.extensions["settings"]
    email = email.strip().lower()
    now = clock.now()
    window_start = now - timedelta(minutes=settings.login_ip_window_minutes)
    # Read what the verify needs and end that read first: argon2 is slow on purpose, and on SQLite a sign-in's
    # write transaction (BEGIN IMMEDIATE) would hold every other writer off for as long as it runs.
    with read_first(db.session):
        recent_failures = db.session.scalar(select(func.count(LoginAttempt.id)).where(
            LoginAttempt.remote_addr == remote_addr, LoginAttempt.success.is_(False),
            LoginAttempt.at >= window_start))
        if recent_failures >= settings.login_ip_max_failures:
            # About this address, not about any account: every address hears the same.
            raise SignInRefused(_l("Too many failed sign-ins from your address. Try again in %(m)d minutes.",
                                   m=settings.login_ip_window_minutes))
        stored_hash = db.session.scalar(select(Login.password_hash).where(Login.email == email))
    password_ok = _verify_hash(stored_hash, password)
    login = db.session.scalar(select(Login).where(Login.email == email))   # the write transaction begins here
    password_ok = password_ok and login is not None and login.password_hash == stored_hash
    device = (devices or {}).get(login.id) if login is not None else None
    if device is not None:
        locked = _device_failures(device, now - timedelta(minutes=settings.login_lockout_minutes)) \
            >= settings.login_max_failures
    else:
        locked = login is not None and login.locked_until is not None and login.locked_until > now
    ok = password_ok and login is not None and login.active and not locked
    # Attempts refused by a lock do not count against it (nor prolong it); they still count for the address.
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, success=ok, at=now,
                                device=None if locked else device))
    if not ok:
        if login is not None and not locked and device is None:
            login.failed_logins += 1
            if login.failed_logins >= settings.login_max_failures:
                login.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                login.failed_logins = 0
        raise _refused()
    if device is None:
        login.failed_logins = 0
        login.locked_until = None
    # A known device signing in leaves the lockout in force for every other browser.
    login.last_login_at = now
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = hash_password(password)
    return login


def _device_failures(device: str, since) -> int:
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.device == device, LoginAttempt.success.is_(False), LoginAttempt.at >= since))


def normalise_email(email: str) -> str:
    """A login's address as stored (trimmed, lower case), or a RuleViolation when it is not an e-mail address.
    The same check as the form's (email_validator, no DNS lookup), for every caller: forms, CLI, demo data."""
    email = email.strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise RuleViolation(email=_l("“%(email)s” is not an e-mail address; write it as name@example.com.",
                                     email=email[:254])) from None
    if len(email) > 254:
        raise RuleViolation(email=_l("An e-mail address has at most 254 characters."))
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleViolation(password=_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))


def allowed_roles(actor: Login) -> list[Role]:
    """Which roles the actor may give to a login."""
    if actor.role is Role.STAFF_ADMIN:
        return list(Role)
    if actor.role is Role.STAFF_SUPPORT:
        return [Role.RESELLER, Role.CUSTOMER_ADMIN, Role.END_USER]
    if actor.role is Role.RESELLER:
        return [Role.RESELLER, Role.CUSTOMER_ADMIN, Role.END_USER]
    if actor.role is Role.CUSTOMER_ADMIN:
        return [Role.CUSTOMER_ADMIN, Role.END_USER]
    return []


def save_login(actor: Login, login: Login | None, *, email: str, name: str, role: Role,
               reseller: Reseller | None = None, customer: Customer | None = None,
               phone_user: PhoneUser | None = None, language: str = "de", active: bool = True,
               password: str | None = None, skip_password_rules: bool = False) -> Login:
    """Create or change a login. The caller has loaded reseller/customer/phone_user through the actor's scope."""
    email = normalise_email(email)
    if role not in allowed_roles(actor):
        raise RuleViolation(role=_l("You may not give the role %(role)s.", role=role.value))
    binding = {Role.RESELLER: reseller, Role.CUSTOMER_ADMIN: customer, Role.END_USER: phone_user}.get(role)
    field = {Role.RESELLER: "reseller_id", Role.CUSTOMER_ADMIN: "customer_id", Role.END_USER: "phone_user_id"}
    if role in field and binding is None:
        raise RuleViolation({field[role]: _l("Choose whom this login belongs to.")})
    clash = db.session.scalar(select(Login).where(Login.email == email))
    if clash is not None and clash is not login:
        raise RuleViolation(email=_l("A login with the address %(email)s exists already.", email=email))
    if login is None and not password:
        raise RuleViolation(password=_l("Set a password for the new login."))
    if password and not skip_password_rules:
        _check_password(password)
    if login is None:
        login = Login(failed_logins=0)
        db.session.add(login)
    if login is actor and not active:
        raise RuleViolation(active=_l("You cannot deactivate your own login."))
    login.email, login.name, login.role, login.language, login.active = email, name.strip(), role, language, active
    login.reseller = reseller if role is Role.RESELLER else None
    login.customer = customer if role is Role.CUSTOMER_ADMIN else None
    login.phone_user = phone_user if role is Role.END_USER else None
    if password:
        login.password_hash = hash_password(password)
        login.failed_logins, login.locked_until = 0, None
    db.session.flush()
    if password or not active:
        sessions.end_others(login)  # a new password or a deactivation signs the login out elsewhere
    return login


def change_own_password(login: Login, current: str, new: str) -> None:
    if not verify_password(login, current):
        raise RuleViolation(current=_l("The current password is wrong."))
    _check_password(new)
    login.password_hash = hash_password(new)
    db.session.flush()
    sessions.end_others(login)  # this browser stays signed in, every other one is signed out


def unlock(login: Login) -> None:
    login.failed_logins, login.locked_until = 0, None
    db.session.flush()


def set_language(login: Login, language: str) -> None:
    login.language = language
    db.session.flush()

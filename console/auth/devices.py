"""Device cookies: a browser that has signed in as a login before is not shut out by that login's lockout.

The account lockout (five failures in a row lock a login for 15 minutes) can be triggered by anyone who knows
the address, so on its own it lets a stranger keep a real user out. Following OWASP's "device cookies"
(https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies), a successful sign-in
sets a signed cookie naming the login and a random nonce. A sign-in that presents a valid cookie for that login
is judged by the failures of *that cookie* only (the same five in 15 minutes, counted from LoginAttempt.device),
not by the account's lockout; everyone else is. The per-address throttle applies to all. So guessing from a new
browser stays slow for the attacker, a known device keeps working during an attack, and a stolen device
cookie buys no more guesses than the lockout allows. Each success issues a fresh nonce, so earlier failures of
a device no longer count once it has signed in again.
"""
from __future__ import annotations

import secrets

from flask import Response, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "stimme_device"
MAX_AGE_DAYS = 180
MAX_LOGINS = 5  # one browser may be shared: it remembers the last few logins that signed in on it


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="stimme.device-cookie")


def read(value: str | None) -> dict[int, str]:
    """login id → nonce, from a device cookie; {} for a missing, forged, expired or malformed one."""
    if not value or len(value) > 4096:
        return {}
    try:
        entries = _serializer().loads(value, max_age=MAX_AGE_DAYS * 86400)
    except BadData:
        return {}
    if not isinstance(entries, list):
        return {}
    return {login_id: nonce for login_id, nonce in (e for e in entries if isinstance(e, list) and len(e) == 2)
            if isinstance(login_id, int) and isinstance(nonce, str) and len(nonce) == 32}


def remember(response: Response, known: dict[int, str], login_id: int) -> None:
    """Set the cookie after a successful sign-in: a new nonce for this login, older logins kept."""
    others = [[i, n] for i, n in known.items() if i != login_id][:MAX_LOGINS - 1]
    value = _serializer().dumps([[login_id, secrets.token_hex(16)], *others])
    response.set_cookie(COOKIE_NAME, value, max_age=MAX_AGE_DAYS * 86400, path="/login", httponly=True,
                        samesite="Lax", secure=current_app.extensions["settings"].production)

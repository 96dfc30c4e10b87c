"""Bearer tokens and URL secrets: issue, store (never in clear), look up, record use, revoke. The one place.

Two kinds of secret, one module:

Bearer tokens (reseller API tokens, PBX directory lookup tokens; voicemail and fax intake next)
    shown once when issued and sent as ``Authorization: Bearer …``. The row keeps the SHA-256 of the whole value
    (64 hex characters) in ``token_hash``, nothing else of it. A plain hash suffices: the value carries 256 random
    bits, so there is nothing to guess from the hash, and the lookup is an indexed equality on the hash, whose
    timing can only tell something about a hash nobody can invert, never about the token. Both kinds were stored
    this way before this module, so tokens issued earlier keep working.

URL secrets (a reseller's maintenance feed, a PBX's hold-music URLs)
    live in a URL the owner must be able to see again whenever they open the page (they paste it into a calendar
    or into the PBX), so a hash alone would not do. The row keeps only a random *selector* (``nonce``); the secret
    is ``selector + HMAC-SHA256(key, purpose, selector)``, the key derived from ``SECRET_KEY``. The database alone
    gives no secret (no key), the key alone gives none (no selector); the page derives the secret on every view.
    A request is looked up by the selector (indexed) and its MAC compared in constant time. Changing
    ``SECRET_KEY`` changes every URL secret: the pages then show the new addresses, which the PBXs and calendars
    need. Secrets never reach a log line: :mod:`console.logs` redacts the URL segments that carry them.

A route guarded by `bearer_required` or `url_secret_required` receives the token's principal
(console.auth.scope.TokenPrincipal: the reseller or PBX it stands for) as its first argument and loads everything
through `scoped()` with it. Those two decorators mark the view (`token_model`), so tests can find every
token-authenticated route.

Everything else here flushes, never commits. The one commit is the bearer guard's: a last use it recorded
(at most once a minute) is committed after the view, so no view commits just for that.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import wraps
from typing import Callable, TypeVar

from flask import abort, current_app, make_response, request
from sqlalchemy import String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from console import clock
from console.extensions import db

__all__ = ["BearerToken", "UrlSecret", "bearer_required", "bearer_value", "digest", "find", "find_by_url_secret",
           "issue", "new_nonce", "record_use", "revoke", "url_secret", "url_secret_required"]

#: Last use is written at most this often per token: a lookup must not be a write on every request.
USE_RESOLUTION = timedelta(minutes=1)
#: Longer bearer values are not ours (ours are a short prefix and 43 characters); refused before hashing.
MAX_BEARER_LENGTH = 200
NONCE_LENGTH = 16        # secrets.token_urlsafe(12): 96 random bits
MAC_LENGTH = 32          # base64url characters of the HMAC: 192 bits
URL_SECRET_LENGTH = NONCE_LENGTH + MAC_LENGTH
_URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

T = TypeVar("T")


# --- bearer tokens ---------------------------------------------------------------------------------------------

class BearerToken:
    """Columns of every bearer-token table: the hash, when it was made, last used and revoked."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


def digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue(model: type[T], prefix: str, **fields) -> tuple[T, str]:
    """A new token row of ``model``; the plain value (``prefix`` + 43 random characters) is returned once and
    never stored. A model with a ``prefix`` column keeps the first characters, to tell tokens apart."""
    plain = prefix + secrets.token_urlsafe(32)
    if hasattr(model, "prefix"):
        fields.setdefault("prefix", plain[:len(prefix) + 8])
    row = model(token_hash=digest(plain), created_at=clock.now(), **fields)
    db.session.add(row)
    db.session.flush()
    return row, plain


def bearer_value() -> str | None:
    """The token of this request's ``Authorization: Bearer …`` header, or None."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_BEARER_LENGTH:
        return None
    return value


def _live(model: type[T], plain: str | None) -> T | None:
    if not plain or len(plain) > MAX_BEARER_LENGTH:
        return None
    return db.session.scalar(select(model).where(model.token_hash == digest(plain), model.revoked_at.is_(None)))


def find(model: type[T], plain: str | None) -> T | None:
    """The live (not revoked) token row for a bearer value, its use recorded; None for anything else."""
    row = _live(model, plain)
    if row is not None:
        record_use(row)
    return row


def record_use(row) -> bool:
    """Note that the token was used now, at most once per :data:`USE_RESOLUTION`; between those, nothing is
    written (on SQLite every write takes the one write lock). A plain UPDATE, so no audit row per use; the
    caller's commit keeps it. True when it wrote."""
    now = clock.now()
    if row.last_used_at is not None and now - row.last_used_at < USE_RESOLUTION:
        return False
    model = type(row)
    db.session.execute(update(model).where(model.id == row.id, or_(
        model.last_used_at.is_(None), model.last_used_at < now - USE_RESOLUTION)).values(last_used_at=now))
    set_committed_value(row, "last_used_at", now)
    return True


def bearer_required(model: type, refused: Callable[[], object]):
    """Guard a view by a bearer token of ``model``: the view gets the token's principal first; without a live
    token the caller gets ``refused()`` (the API's own 401). The last use is committed here, after the view
    (a view that wrote has committed already; a refusal wrote nothing)."""
    def guard(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            row = _live(model, bearer_value())
            if row is None:
                return refused()
            used = record_use(row)
            response = make_response(view(row.principal(), *args, **kwargs))
            if used and response.status_code < 500:
                db.session.commit()
            return response
        guarded.token_model = model
        return guarded
    return guard


def revoke(row) -> None:
    """The token stops working at once; revoking twice keeps the first time."""
    row.revoked_at = row.revoked_at or clock.now()
    db.session.flush()


# --- URL secrets -----------------------------------------------------------------------------------------------

def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class UrlSecret:
    """Columns and behaviour of a row that stands for a secret URL; subclasses name their ``SECRET_PURPOSE``."""
    SECRET_PURPOSE: str = ""
    nonce: Mapped[str] = mapped_column(String(NONCE_LENGTH), unique=True, default=new_nonce)

    @property
    def url_secret(self) -> str:
        """The secret as it goes into the URL (derived, never stored)."""
        return url_secret(self.SECRET_PURPOSE, self.nonce)

    def renew(self) -> None:
        """A new selector: the old URL stops working."""
        self.nonce = new_nonce()
        db.session.flush()


def _key() -> bytes:
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    return hmac.new(secret_key, b"console.auth.tokens url secret v1", hashlib.sha256).digest()


def _mac(purpose: str, nonce: str) -> str:
    mac = hmac.new(_key(), f"{purpose}\x00{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:MAC_LENGTH]


def url_secret(purpose: str, nonce: str) -> str:
    if not purpose:
        raise ValueError("a URL secret needs a purpose")
    return nonce + _mac(purpose, nonce)


def url_secret_required(model: type, argument: str = "token"):
    """Guard a view by the URL secret of ``model`` in the route argument ``argument``: the view gets the row's
    principal first (the argument stays, for links to itself); an unknown or wrong secret is a 404."""
    def guard(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            row = find_by_url_secret(model, kwargs.get(argument))
            if row is None:
                abort(404)
            return view(row.principal(), *args, **kwargs)
        guarded.token_model = model
        return guarded
    return guard


def find_by_url_secret(model: type[T], secret: str | None) -> T | None:
    """The row whose URL secret this is, or None (wrong length, unknown selector, wrong MAC)."""
    if not secret or len(secret) != URL_SECRET_LENGTH or not set(secret) <= _URL_ALPHABET:
        return None
    nonce, mac = secret[:NONCE_LENGTH], secret[NONCE_LENGTH:]
    expected = _mac(model.SECRET_PURPOSE, nonce)   # computed whether or not the selector exists
    row = db.session.scalar(select(model).where(model.nonce == nonce))
    if not hmac.compare_digest(mac, expected) or row is None:
        return None
    return row

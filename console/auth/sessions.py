"""Server-side sessions: what the session cookie points to, and what signing out deletes.

Flask's session cookie is signed, not stored: clearing it in the browser does nothing to a copy. So the cookie
holds only the random key of a LoginSession row (Flask-Login's user id is that key, see Login.get_id), and every
request looks the row up. Signing out deletes this browser's row only: signing out of the office PC should not
end the session on the laptop, and the copied cookie of *this* session is dead either way. A new password
(own or set by an admin) and deactivating a login end every other session of that login, as before.
A remember-me cookie (Flask-Login's, not offered today) would carry the same key and die with the row.
A session not signed out (the browser was closed) ends SESSION_MAX_DAYS after sign-in; the login's next
sign-in deletes such rows.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select

from console import clock
from console.auth.models import Login, LoginSession
from console.extensions import db


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _oldest_valid() -> datetime:
    return clock.now() - timedelta(days=current_app.extensions["settings"].session_max_days)


def start(login: Login) -> str:
    """A new session for `login`; returns its key and sets it as the login's id for Flask-Login."""
    db.session.execute(delete(LoginSession).where(LoginSession.login_id == login.id,
                                                  LoginSession.created_at < _oldest_valid()))
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(login_id=login.id, key_hash=_hash(key), created_at=clock.now()))
    db.session.flush()
    login.session_key = key
    return key


# Built once: every request runs it.
_LOGIN_BY_KEY = select(Login).join(LoginSession, LoginSession.login_id == Login.id).where(
    LoginSession.key_hash == bindparam("key_hash"), LoginSession.created_at >= bindparam("oldest"),
    Login.active.is_(True))


def load(key: str) -> Login | None:
    """The active login whose session has this key (Flask-Login's user_loader)."""
    if not key or len(key) > 100:
        return None
    login = db.session.scalar(_LOGIN_BY_KEY, {"key_hash": _hash(key), "oldest": _oldest_valid()})
    if login is not None:
        login.session_key = key
    return login


def end(login: Login) -> None:
    """Sign out the session `login` was loaded for."""
    if login.session_key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _hash(login.session_key)))
        login.session_key = None
        db.session.flush()


def end_others(login: Login) -> None:
    """End every session of `login` except the one it was loaded for (if any)."""
    if login.id is None:
        return
    query = delete(LoginSession).where(LoginSession.login_id == login.id)
    if login.session_key:
        query = query.where(LoginSession.key_hash != _hash(login.session_key))
    db.session.execute(query)
    db.session.flush()

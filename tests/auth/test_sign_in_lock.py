"""The argon2 verify of a sign-in runs before its write transaction: on SQLite, other writers are not held off
while a password is checked."""
from __future__ import annotations

import re
import sqlite3

import pytest

from console import create_app
from console.auth import services
from console.auth.models import Login, LoginAttempt, Role
from console.config import Settings
from console.extensions import db

pytestmark = pytest.mark.no_db
PASSWORD = "ein-langes-Passwort"


@pytest.mark.parametrize("password, status", [(PASSWORD, 303), ("falsch-falsch", 401)])
def test_another_writer_gets_through_while_a_password_is_verified(tmp_path, monkeypatch, password, status):
    path = tmp_path / "console.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="test", log_format="text"))
    with app.app_context():
        db.create_all()
        db.session.add(Login(email="anna@stimme.example", name="Anna", role=Role.STAFF_ADMIN,
                             password_hash=services.hash_password(PASSWORD)))
        db.session.commit()

    wrote_meanwhile = []
    verify = services._verify_hash

    def verify_while_another_writes(stored_hash, given):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")   # "database is locked" at once if the sign-in held the write lock
            other.execute("UPDATE login SET name = 'Anna B.'")
            other.execute("COMMIT")
            wrote_meanwhile.append(True)
        finally:
            other.close()
        return verify(stored_hash, given)

    monkeypatch.setattr(services, "_verify_hash", verify_while_another_writes)
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"email": "anna@stimme.example", "password": password,
                                           "csrf_token": token})
    assert response.status_code == status
    assert wrote_meanwhile == [True]
    with app.app_context():
        assert db.session.query(Login).one().name == "Anna B."
        assert [a.success for a in db.session.query(LoginAttempt)] == [status == 303]   # the attempt is recorded
        db.session.remove()
        db.engine.dispose()

"""Phonebook fixtures: the suite's slapd (tests/conftest.py starts it) and a Directory client bound to it."""
from __future__ import annotations

import pytest

from console.directory.connection import Directory, LdapConfig


@pytest.fixture
def directory(slapd):
    """A fresh client per test (the app's own shared client is app.extensions['directory'])."""
    client = Directory(LdapConfig(url=slapd.url, bind_dn=slapd.root_dn, bind_password=slapd.root_pw,
                                  base_dn=slapd.suffix), retries=20, retry_pause=0.1)
    yield client
    client.close()


@pytest.fixture
def pbx(make_customer):
    return make_customer(name="Müller GmbH").pbx

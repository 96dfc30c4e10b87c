"""Demo phonebook entries for Müller GmbH: a few shared ones and a private book for the demo end user.

Idempotent. Needs slapd: with the embedded default (LDAP_URL empty) a slapd that is not running yet is
started just for loading; with an external directory that does not answer, a hint is printed instead.
"""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from console.accounts.models import Customer, PhoneUser
from console.directory import books
from console.directory.books import Book
from console.directory.connection import Directory, LdapConfig
from console.directory.slapd import embedded
from console.directory.tree import Contact
from console.extensions import db

SHARED = [
    Contact(given_name="Petra", surname="Lindner", company="Steuerbüro Lindner", phone="040 3344556",
            email="lindner@steuer.example"),
    Contact(company="Spedition Hansa", phone="+49 40 998877-0", fax="040 998877-99"),
    Contact(given_name="Tobias", surname="Brandt", company="Brandt Elektro", title="Meister",
            mobile="0171 2233445"),
]
PRIVATE = [Contact(surname="Zahnarzt Dr. Weiß", phone="040 1234321"), Contact(given_name="Mama", surname="Schäfer",
                                                                               home="04101 556677")]


def load_demo_phonebook() -> bool:
    customer = db.session.scalar(select(Customer).where(Customer.name == "Müller GmbH"))
    if customer is None or customer.pbx is None:
        return False
    settings = current_app.extensions["settings"]
    directory = Directory(LdapConfig.from_settings(settings), retries=0)
    server = None
    if not directory.ping() and not settings.ldap_url:
        server = embedded(settings)
        try:
            server.start()
        except (RuntimeError, FileNotFoundError) as exc:
            click.echo(f"hint: no demo phonebook: the embedded slapd did not start ({exc})", err=True)
            return False
    try:
        if not directory.ping():
            click.echo(f"hint: no demo phonebook: LDAP at {directory.config.url} does not answer; "
                       "run `flask --app app demo load` again once it does", err=True)
            return False
        shared = Book(customer.pbx)
        if books.list_entries(directory, shared, limit=1):
            return False
        for contact in SHARED:
            books.save_entry(directory, shared, Contact(**contact.values()))
        anna = db.session.scalar(select(PhoneUser).where(PhoneUser.pbx_id == customer.pbx.id,
                                                         PhoneUser.first_name == "Anna"))
        if anna is not None:
            for contact in PRIVATE:
                books.save_entry(directory, Book(customer.pbx, anna), Contact(**contact.values()))
        return True
    finally:
        directory.close()
        if server is not None:
            server.stop()

"""The fax stack for end-to-end tests: an app on a database of its own (its server threads see only what is
committed), the console's inbound SMTP (aiosmtpd), the console over HTTP, the gateway test server, and a real SMTP
sink that receives what the outbox sends."""
from __future__ import annotations

import dataclasses
import smtplib
from itertools import count
from datetime import date
from email.message import EmailMessage

import pytest

from console.accounts import services as accounts
from console.accounts.models import LicenceKind, Package, Provider, TrunkKind
from console.auth import tokens
from console.auth.models import Login, Role
from console.ports import free_port
from tests.fax.gateway_test_server import GatewayTestServer, console_over_http
from tests.mail.servers import ControllableSMTP, own_database

FAX_DOMAIN = "fax.stimme.test"
_seq = count(1)   # each stack its own PBX name: the phonebooks live in the one slapd of the session


@dataclasses.dataclass
class Stack:
    app: object
    smtp_port: int
    sink: ControllableSMTP
    gateway: GatewayTestServer
    user_id: int
    fax_number: str
    sender: str = "erika.muster@kunde.example"

    def mail(self, to: list[str], attachments: list[tuple[str, str, bytes]], sender: str | None = None,
             subject: str = "Angebot 4711", headers: dict | None = None) -> None:
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = sender or self.sender, ", ".join(to), subject
        for name, value in (headers or {}).items():
            m[name] = value
        m.set_content("Bitte faxen.")
        for filename, ctype, data in attachments:
            maintype, _, subtype = ctype.partition("/")
            m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            client.send_message(m, from_addr=sender or self.sender, to_addrs=to)

    def run(self, func, *args):
        with self.app.app_context():
            from console.extensions import db
            try:
                return func(*args)
            finally:
                db.session.remove()


@pytest.fixture
def stack(app, database_url, tmp_path):
    from console import create_app
    from console.extensions import db
    from console.fax.models import FaxGatewayToken
    from console.mail.smtpd import inbound_controller
    sink = ControllableSMTP()
    sink.start()
    with own_database(database_url, tmp_path, "fax_stack") as url:
        settings = dataclasses.replace(app.extensions["settings"], database_url=url, fax_dir=str(tmp_path / "fax"),
                                       fax_domain=FAX_DOMAIN, inbound_domains="stimme.test",
                                       smtp_url=sink.url, fax_max_pages=5, fax_retries=2, fax_retry_minutes=10,
                                       base_url="http://console.test")
        fax_app = create_app(settings)
        with fax_app.app_context():
            db.create_all()
            staff = Login(role=Role.STAFF_ADMIN, email="factory@stimme.example", name="factory")
            reseller = accounts.save_reseller(None, name="Händler Süd", notice_email="noc@sued.example")
            customer = accounts.create_customer(
                staff, reseller=reseller, name="Kunde Fax", pbx_name=f"pbxfax{next(_seq)}.stimme.test",
                licence=LicenceKind.BASE, licence_start=date(2026, 1, 1), site_name="Zentrale",
                street="Hauptstraße 1", postcode="10115", city="Berlin")
            site = customer.pbx.sites[0]
            accounts.save_trunk(None, site=site, kind=TrunkKind.SIP, provider=Provider.TELEKOM, provider_name=None,
                                base_number="030 5550", first_extension="0", last_extension="99")
            user = accounts.save_phone_user(None, pbx=customer.pbx, site=site, first_name="Erika",
                                            last_name="Muster", extension="10", package=Package.VOLLE,
                                            email="erika.muster@kunde.example", fax_number="030 555099")
            db.session.add(Login(role=Role.CUSTOMER_ADMIN, email="admin@kunde.example", name="Admin",
                                 password_hash="x", customer_id=customer.id, language="de"))
            _, plain = tokens.issue(FaxGatewayToken, "fgw_", name="Testgateway")
            db.session.commit()
            user_id, number = user.id, user.fax_number
        controller = inbound_controller(fax_app, "127.0.0.1", free_port())
        controller.start()
        try:
            with console_over_http(fax_app) as base_url:
                yield Stack(fax_app, controller.port, sink, GatewayTestServer(base_url, plain), user_id, number)
        finally:
            controller.stop()
            sink.stop()
            with fax_app.app_context():
                db.session.remove()
                db.engine.dispose()

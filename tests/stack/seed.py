"""`python -m tests.stack.seed`: migrate the stack's database and give it what the stack tests need.

Runs in the environment the stack runs in (DATABASE_URL, CONSOLE_INSTANCE_DIR …): two resellers with a customer
each (PBX, main site, SIP trunk), a staff login and a reseller login with PASSWORD, one API token per reseller, the
standard hold music.
Prints what the tests need as one JSON object.
"""
from __future__ import annotations

import json

from flask_migrate import upgrade

from console import create_app
from console.audit.recorder import acting_as
from console.auth.models import Login, Role
from console.auth.services import save_login
from console.extensions import db
from console.incidents import services as incidents
from tests.accounts.factories import reseller_with_customer

PASSWORD = "stack test password 1"


def main() -> None:
    app = create_app()
    with app.app_context(), acting_as(None, "stack test seed"):
        upgrade()
        staff = save_login(Login(role=Role.STAFF_ADMIN, email="seed@stack.example", name="seed"), None,
                           email="staff@stack.example", name="Stack Staff", role=Role.STAFF_ADMIN,
                           password=PASSWORD, skip_password_rules=True)
        resellers = []
        for n in (1, 2):
            reseller, customer = reseller_with_customer(staff, n, f"Händler {n}", f"Kunde {n} GmbH",
                                                        f"pbx{n}.stack.test", f"030 {7000 + n}0")
            trunk = customer.pbx.sites[0].trunk
            login = save_login(staff, None, email=f"reseller{n}@stack.example", name=f"Händler {n}",
                               role=Role.RESELLER, reseller=reseller, password=PASSWORD, skip_password_rules=True)
            _, token = incidents.issue_token(reseller, "stack test")
            resellers.append({"token": token, "customer_id": customer.id, "site_id": customer.pbx.sites[0].id,
                              "number": trunk.number_for("10"), "login": login.email})
        from console.media.standard import ensure_standard_hold_music
        ensure_standard_hold_music()   # every PBX's hold-music URL is shown with it (as after `demo load`)
        db.session.commit()
        print(json.dumps({"staff": staff.email, "password": PASSWORD, "resellers": resellers,
                          "customer_ids": [r["customer_id"] for r in resellers]}))


if __name__ == "__main__":
    main()

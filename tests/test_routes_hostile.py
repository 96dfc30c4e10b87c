"""Hostile values in every path, query and form parameter of every registered route, for every role: never a 5xx.

The routes come from app.url_map and the form fields from the forms the pages themselves render, so a new route
or a new field is walked without touching this file. Each parameter gets, one at a time and with everything
else valid, the values that answered 500 somewhere: numbers past 64 bits, digits that only look like digits,
far dates, NUL, invalid UTF-8 and lone surrogates (percent-encoded bytes), and 100 KB of text.
"""
from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest

from console.auth.models import Role
from tests.conftest import Browser
from tests.directory.factories import directory_ids
from tests.mail.factories import mail_ids
from tests.billing.factories import billing_ids
from tests.voicemail.factories import voicemail_ids
from tests.fax.factories import fax_ids
from tests.test_tenancy import _ids, _incident_of, _maintenance_of, _media_of

HUGE = "9" * 25                    # past 2^63: OverflowError in the drivers
INT32 = str(2**31)                 # past an INTEGER key: "integer out of range" on PostgreSQL
FAR = ["0001-01-01T00:00", "9999-12-31T23:59-05:00", "10000-01-01"]
LOOKALIKE = ["²", "١٢"]            # str.isdigit() says yes; int("²") fails, int("١٢") == 12
NUL = "a\x00b"
LONG = "x" * 100_000
# Percent-encoded, so the bytes reach the server as sent: invalid UTF-8 and a UTF-8-encoded lone surrogate.
RAW = ["%FF%FE", "%ED%A0%80"]

PATH_INT = [HUGE, INT32]
PATH_TEXT = [HUGE, NUL, LONG, "../../etc/passwd", *FAR[:2], *LOOKALIKE]
QUERY = [HUGE, INT32, NUL, FAR[0], FAR[1], LOOKALIKE[0]]  # in every name at once (100 KB: one name at a time)
# The query string names the walk tries on every GET route, beside those the page's own GET forms name.
QUERY_NAMES = {"page", "q", "find", "menu", "state", "priority", "breached", "customer_id", "reseller_id",
               "assignee_id", "month", "show", "from", "until", "to", "object_type", "action", "actor", "licence",
               "package", "role", "number", "extension", "n", "next", "coder", "kind", "year"}
NEVER = {"csrf_token"}


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)   # name → the value the page offers (valid)
    types: dict[str, str] = field(default_factory=dict)    # name → input type (text, date, file, select, …)


class _Forms(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url, self.forms, self._form, self._select, self._textarea = page_url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_url
            self._form = Form(urlsplit(action).path or urlsplit(self.page_url).path, a.get("method", "get").lower(),
                              "multipart" in a.get("enctype", ""))
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image"):
                return
            self._form.types[a["name"]] = kind
            if kind in ("checkbox", "radio"):
                if "checked" in a:  # unchecked: not sent, as a browser does
                    self._form.fields[a["name"]] = a.get("value", "on")
                return
            self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._form.fields[a["name"]] = ""
            self._form.types[a["name"]] = "select"
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = ""
            self._form.types[a["name"]] = "textarea"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data


class _Options(HTMLParser):
    """The chosen (or first non-empty) option of every <select>: the valid value the walk keeps."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chosen: dict[str, str] = {}
        self._select = None
        self._first: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a:
                self.chosen.setdefault(self._select, value)
            if value:
                self._first.setdefault(self._select, value)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def close(self):
        super().close()
        for name, value in self._first.items():
            self.chosen.setdefault(name, value)


def forms_of(url: str, html: str) -> list[Form]:
    parser = _Forms(url)
    parser.feed(html)
    options = _Options()
    options.feed(html)
    options.close()
    for form in parser.forms:
        for name, kind in form.types.items():
            if kind == "select" and not form.fields[name]:
                form.fields[name] = options.chosen.get(name, "")
    return parser.forms


def _values_for(name: str, kind: str) -> list:
    """The hostile values for one form field, by what it holds (all of them for free text)."""
    if kind == "file":
        return ["a\x00b.txt", "x" * 5000 + ".txt", "..\\..\\boot.ini"]
    if kind in ("date", "datetime-local") or re.search(r"(_at|date|day|start|end|month|from|until|on)$", name):
        return FAR
    if kind in ("number", "select", "hidden", "checkbox", "radio") or name.endswith(("_id", "_ids", "minutes")):
        return [HUGE, INT32, *LOOKALIKE]
    return [HUGE, LONG, LOOKALIKE[0]]


# --- the world the walk runs in ----------------------------------------------------------------------------

@pytest.fixture
def world(make_reseller, make_customer, make_user, make_login):
    reseller = make_reseller("Walk GmbH")
    customer = make_customer(reseller, name="Walk AG")
    user = make_user(customer, first_name="Wanda", last_name="Walker")
    logins = {
        "staff": make_login(Role.STAFF_ADMIN),
        "reseller": make_login(Role.RESELLER, reseller=reseller),
        "customer admin": make_login(Role.CUSTOMER_ADMIN, customer=customer),
        "end user": make_login(Role.END_USER, phone_user=user),
    }
    from types import SimpleNamespace
    from console.accounts import services
    from console.accounts.models import Provider, TrunkKind
    site = services.save_site(None, pbx=customer.pbx, name="Filiale", street="Weg 1", postcode="10115", city="Berlin")
    trunk = services.save_trunk(None, site=site, kind=TrunkKind.SIP, provider=Provider.TELEKOM, provider_name=None,
                                base_number="030 7766", first_extension="0", last_extension="9")
    t = SimpleNamespace(reseller=reseller, customer=customer, site=site, trunk=trunk, user=user,
                        window=_maintenance_of(customer, "W"), media=_media_of(customer, "W"),
                        incident=_incident_of(customer, "W"), directory=directory_ids(customer, "W"),
                        mail=mail_ids("W"), billing=billing_ids(), voicemail=voicemail_ids(customer, "W"),
                        fax=fax_ids(customer, user),
                        logins={Role.CUSTOMER_ADMIN: logins["customer admin"]})
    ids = {k: str(v) for k, v in _ids(t).items()}
    from console.extensions import db
    from console.incidents.models import Incident
    ids.update(number=db.session.get(Incident, t.incident.id).number, token="x", slug="x", coder="wav",
               filename="htmx.min.js")
    return SimpleNamespace(ids=ids, logins=logins)


def _url(rule, ids: dict[str, str], hostile: tuple[str, str] | None = None) -> str:
    def value(m):
        name = m.group(1)
        if hostile and hostile[0] == name:
            return hostile[1] if hostile[1] in RAW else quote(hostile[1], safe="")
        return quote(ids.get(name, "1"), safe="")
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", value, rule.rule)


def _converter(rule, name: str) -> str:
    return type(rule._converters[name]).__name__


class Walk:
    def __init__(self, browser: Browser, role: str):
        self.browser, self.role, self.failures, self.requests = browser, role, [], 0

    def send(self, method: str, url: str, note: str, **kw):
        self.requests += 1
        try:
            response = self.browser.request(method, url, **kw)
        except Exception as exc:  # noqa: BLE001  a crash in the test client is as bad as a 500
            self.failures.append(f"{self.role} {method} {url[:120]} [{note}] raised {type(exc).__name__}: {exc}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{self.role} {method} {url[:120]} [{note}] → {response.status_code}")
        return response


def _post_data(form: Form, csrf: str, name: str | None, value) -> dict:
    data = {k: v for k, v in form.fields.items() if form.types.get(k) != "file"}
    for k, kind in form.types.items():
        if kind == "file":
            data[k] = (io.BytesIO(b"walk"), "walk.txt")
    if name is not None:
        data[name] = (io.BytesIO(b"walk"), value) if form.types.get(name) == "file" else value
    data["csrf_token"] = csrf
    return data


def _raw_body(form: Form, csrf: str, name: str, raw: str) -> bytes:
    """An urlencoded body with percent-encoded bytes that are no UTF-8 in the field (a browser could send it)."""
    parts = [f"{quote(k)}={quote(str(v))}" for k, v in form.fields.items() if k != name and k != "csrf_token"]
    parts += [f"{quote(name)}={raw}", f"csrf_token={quote(csrf)}"]
    return "&".join(parts).encode()


ROLES = ["staff", "reseller", "customer admin", "end user", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_to_hostile_values(app, world, role, signed_in):
    browser = signed_in(world.logins[role]) if role in world.logins else Browser(app)
    if browser.csrf is None:
        browser.csrf = browser._fetch_token()
    walk = Walk(browser, role)
    started = time.monotonic()
    rules = sorted((r for r in app.url_map.iter_rules()), key=lambda r: r.rule)
    get_rules = [r for r in rules if "GET" in r.methods]

    # 1. Every page with valid ids: what it renders tells the walk its forms and query parameters.
    forms: dict[str, list[Form]] = {}
    query_names: dict[str, set[str]] = {}
    refused = set()  # pages this role may not see: refused before any query parameter is read
    for rule in get_rules:
        url = _url(rule, world.ids)
        response = walk.send("GET", url, "valid")
        if response is not None and (response.status_code in (401, 403, 404) or "/login" in response.headers.get(
                "Location", "")):
            refused.add(rule.rule)
        if response is None or response.status_code != 200 or "html" not in response.content_type:
            continue
        for form in forms_of(url, response.get_data(as_text=True)):
            if form.method == "post":
                forms.setdefault(form.action, []).append(form)
            elif form.action == urlsplit(url).path:
                query_names.setdefault(url, set()).update(form.fields)

    # 2. Path parameters, one at a time.
    for rule in rules:
        for name in rule.arguments:
            values = PATH_INT if _converter(rule, name) == "IdConverter" else PATH_TEXT + RAW
            for value in values:
                for method in sorted(rule.methods & {"GET", "POST"}):
                    data = {"csrf_token": browser.csrf} if method == "POST" else None
                    walk.send(method, _url(rule, world.ids, (name, value)), f"path {name}", data=data)

    # 3. Query parameters of every GET route: each hostile value in every name the walk knows at once.
    for rule in get_rules:
        if rule.rule in refused:
            continue
        url = _url(rule, world.ids)
        names = sorted(QUERY_NAMES | query_names.get(url, set()) - NEVER)
        for value in QUERY + RAW[1:]:
            encoded = value if value in RAW else quote(value, safe="")
            walk.send("GET", url + "?" + "&".join(f"{n}={encoded}" for n in names), f"query {value[:12]!r}")
        for name in sorted((query_names.get(url, set()) | {"q"}) - NEVER):  # the page's filters, one at a time
            for value in (HUGE, FAR[1], LONG):
                walk.send("GET", f"{url}?{name}={quote(value, safe='')}", f"query {name}")

    # 4. Form fields of every form the pages showed, one at a time with the rest as the page offered them.
    seen = set()
    for action, found in sorted(forms.items()):
        for form in found:
            key = (action, tuple(sorted(form.fields)))
            if key in seen:
                continue
            seen.add(key)
            for name, kind in sorted(form.types.items()):
                if name in NEVER:
                    continue
                for value in _values_for(name, kind):
                    walk.send("POST", action, f"form {name}={str(value)[:12]!r}",
                              data=_post_data(form, browser.csrf, name, value),
                              content_type="multipart/form-data" if form.multipart else None)
            # NUL and bytes that are no UTF-8 are judged before any view for every field alike (web/guard.py):
            # one field of each form shows that the check is there.
            text = [n for n, k in sorted(form.types.items()) if n not in NEVER and k not in ("file", "hidden")]
            if text:
                walk.send("POST", action, f"form {text[0]} NUL", data=_post_data(form, browser.csrf, text[0], NUL),
                          content_type="multipart/form-data" if form.multipart else None)
                if not form.multipart:
                    for raw in RAW:
                        walk.send("POST", action, f"form {text[-1]} raw {raw}",
                                  data=_raw_body(form, browser.csrf, text[-1], raw),
                                  content_type="application/x-www-form-urlencoded")

    elapsed = time.monotonic() - started
    assert not walk.failures, f"{len(walk.failures)} of {walk.requests} requests failed:\n" + "\n".join(
        walk.failures[:40])
    assert walk.requests > 300, walk.requests
    if role == "staff":
        assert len(seen) > 20, sorted(seen)  # the walk reached the forms (a broken parser would pass silently)
    print(f"{role}: {walk.requests} requests, {len(seen)} forms in {elapsed:.1f} s")

"""Every page for every demo role, in chromium, at 1366 px and at 390 px: no page wider than the screen, no console
error, no failed request, no serious or critical axe-core violation.

The pages are found as a person finds them: from the overview, following the links each page shows (one page per
kind of address — /incidents/7 stands for every fault report), so a page no link leads to is not swept and a new
page is swept as soon as something links to it.
"""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import PHONE_RULES, horizontal_overflow, new_page, resize, run_axe, sign_in

pytestmark = pytest.mark.no_db

ROLES = ["staff@example.com", "support@example.com", "reseller@example.com", "reseller2@example.com",
         "customer-admin@example.com", "user@example.com"]
MAX_PAGES = 80   # per role; the demo data has far fewer kinds of page
# not pages: files the browser downloads, feeds, the JSON API, signing out
SKIP = re.compile(r"^/(static|api|logout|healthz|readyz|metrics)\b|\.(ics|csv|pdf|wav|mp3|json|vcf|xml)$"
                  r"|/(export|download|audio|attachments|stream|feed|part)\b")
PHONE = (390, 844)
# Kinds of page axe has checked (at each width): a kind is checked for the first role that reaches it, the next
# roles check only what they alone see. Overflow, console errors and failed requests are checked for every role.
AXED: set[str] = set()


def kind_of(path: str) -> str:
    """The kind of page an address is: numbers and long tokens in the path stand for any."""
    return "/".join("#" if re.fullmatch(r"\d+|[\w.-]*\d[\w.-]{11,}", part) else part for part in path.split("/"))


def links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_on_desktop_and_phone(browser, console, role):
    page = new_page(browser, console)
    try:
        sign_in(page, role)
        findings, seen, queue, swept = [], set(), deque(["/"]), 0
        while queue and swept < MAX_PAGES:
            path = queue.popleft()
            kind = kind_of(urlsplit(path).path)
            if kind in seen:
                continue
            seen.add(kind)
            page.problems.clear()
            resize(page, 1366, 900)
            try:
                response = page.goto(path)
            except PlaywrightError as exc:   # a link to a file: the browser downloads it
                if "Download is starting" in str(exc):
                    continue
                raise
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            if response.status >= 400 and response.status not in (403, 404):
                findings.append(f"{path}: HTTP {response.status}")
            swept += 1
            findings += [f"{path}: {problem}" for problem in page.problems.all()]
            if kind not in AXED:
                AXED.add(kind)
                findings += [f"{path} at 1366 px: axe {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
                             for v in run_axe(page)]
            if overflow := horizontal_overflow(page):
                findings.append(f"{path} at 1366 px: {overflow}")
            resize(page, *PHONE)
            if overflow := horizontal_overflow(page):
                findings.append(f"{path} at 390 px: {overflow}")
            if kind + "@390" not in AXED:
                AXED.add(kind + "@390")
                findings += [f"{path} at 390 px: axe {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
                             for v in run_axe(page, PHONE_RULES)]
            queue.extend(link for link in links(page, console.base) if kind_of(urlsplit(link).path) not in seen)
        assert swept >= 3, f"{role} reached only {swept} pages"
        assert findings == [], f"{role}, {swept} pages:\n" + "\n".join(findings)
    finally:
        page.context.close()

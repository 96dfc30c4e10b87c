"""The console in a real browser: Debian's chromium driven by Playwright, against the console started the way
`make run` starts it (console/devrun.py: gunicorn, scheduler, inbound SMTP, the mail sink, slapd) on free ports,
with the demo data loaded (`make demo`: migrate, then `flask demo load`).

Fixtures: `console` (session: base URL, the sink's messages, the instance folder), `browser` (session: one
chromium), `page` (a fresh context per test, with a record of console errors and failed requests) and `login`.
"""
from __future__ import annotations

import email
import email.policy
import mailbox
import os
import shutil
import signal
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.ports import free_port

from tests.mail.servers import own_database, wait_for
from tests.stack.conftest import PYTHON, ROOT, _environment, _own_group_dies_with_us

pytestmark = pytest.mark.no_db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "demo"
STARTUP_SECONDS = 90


def pytest_collection_modifyitems(config, items):
    """Without chromium or Playwright (a machine set up before they were in scripts/setup.sh) the browser tests
    are skipped, except in CI, where a missing install step must fail."""
    missing = [what for what, there in (("chromium", Path(CHROMIUM).exists()), ("axe-core", AXE.exists()),
                                        ("playwright", _has_playwright())) if not there]
    if not missing or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"browser tests need {', '.join(missing)} (run scripts/setup.sh)")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


def _has_playwright() -> bool:
    import importlib.util
    return importlib.util.find_spec("playwright") is not None


@dataclass
class LiveConsole:
    process: subprocess.Popen
    instance: Path
    port: int
    log_path: Path
    database_url: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sink_messages(self) -> list[email.message.EmailMessage]:
        """What the mail sink received so far (the console's outbox delivers there)."""
        path = self.instance / "maildir"
        if not path.exists():
            return []
        box = mailbox.Maildir(str(path), create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]

    def wait_for_mail(self, condition, seconds: float = 30) -> email.message.EmailMessage:
        """The first sink message for which condition(message) is true, waiting for the outbox to deliver it."""
        return wait_for(lambda: next((m for m in self.sink_messages() if condition(m)), None), seconds)


def _flask(env, *args):
    done = subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'console.db'}"
    with own_database(url, tmp, "browser_ui") as database_url:
        instance = tmp / "instance"
        ports = {name: free_port() for name in ("web", "sink", "inbound", "ldap")}
        env = _environment(instance, database_url, ports) | {"DEMO": "1"}
        _flask(env, "db", "upgrade")      # make demo: migrate, then load the demo data
        _flask(env, "demo", "load")
        log_path = tmp / "make-run.log"
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen([PYTHON, "-m", "console.devrun"], cwd=ROOT, env=env, stdout=log_file,
                                       stderr=subprocess.STDOUT, preexec_fn=_own_group_dies_with_us)
        live = LiveConsole(process, instance, ports["web"], log_path, database_url)

        def ready():
            if process.poll() is not None:
                raise AssertionError(f"make run exited with {process.returncode}:\n{live.log()[-3000:]}")
            try:
                with urllib.request.urlopen(live.base + "/healthz", timeout=5) as resp:
                    healthy = resp.status == 200
            except OSError:
                return False
            return healthy and "scheduler: leading" in live.log() and "mail sink" in live.log()
        try:
            wait_for(ready, STARTUP_SECONDS)
            yield live
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Problems:
    """What a page did wrong while a test used it: console errors, failed requests, HTTP errors."""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def clear(self):
        self.console_errors.clear()
        self.failed_requests.clear()

    def all(self) -> list[str]:
        return self.console_errors + self.failed_requests


def _dropped_by_the_browser(request) -> bool:
    # the browser drops its own favicon fetch when the next page is opened before it finished, and an audio
    # element drops its first range request when it is told to load again
    return "ERR_ABORTED" in (request.failure or "") and (request.url.endswith("/favicon.svg")
                                                         or request.resource_type == "media")


def watch(page) -> Problems:
    problems = Problems()
    page.on("console", lambda msg: msg.type == "error" and problems.console_errors.append(
        f"console error on {page.url}: {msg.text}"))
    page.on("pageerror", lambda exc: problems.console_errors.append(f"script error on {page.url}: {exc}"))
    page.on("requestfailed", lambda req: _dropped_by_the_browser(req) or problems.failed_requests.append(
        f"{req.method} {req.url} failed: {req.failure}"))
    page.on("response", lambda resp: resp.status >= 500 and problems.failed_requests.append(
        f"{resp.request.method} {resp.url} → {resp.status}"))
    return problems


def new_page(browser, console, width: int = 1366, height: int = 900, locale: str = "de-DE"):
    context = browser.new_context(base_url=console.base, viewport={"width": width, "height": height},
                                  locale=locale, timezone_id="Europe/Berlin")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.problems = watch(page)
    return page


@pytest.fixture
def page(browser, console):
    page = new_page(browser, console)
    try:
        yield page
        assert page.problems.all() == [], "\n".join(page.problems.all())
    finally:
        page.context.close()


def sign_in(page, email_address: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email_address)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    assert "/login" not in page.url, f"{email_address} could not sign in: {page.inner_text('main')[:500]}"


@pytest.fixture
def login():
    """login(page, email, password="demo"): sign in with a demo login."""
    return sign_in


# At 390 px only the rules whose outcome the narrow layout can change (the phone menu, tables that scroll,
# targets); the rest give the same answer as at 1366 px and cost the time of a whole axe run.
PHONE_RULES = ["scrollable-region-focusable", "link-name", "button-name", "nested-interactive", "aria-hidden-focus",
               "list", "listitem"]


def resize(page, width: int, height: int) -> None:
    """The viewport at this size, once the page has seen it: the resize event (static/console.js marks tables that
    now scroll) fires before the next frames are drawn, so two frames later the page is as a person sees it."""
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def run_axe(page, rules: list[str] | None = None) -> list[dict]:
    """axe-core (npm) in the page (all rules, or only these); the serious and critical violations. Evaluated through the DevTools protocol,
    so the console's Content-Security-Policy (no inline scripts) stays as it is for the page itself."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("""async (rules) => {
        const options = {resultTypes: ['violations']};
        if (rules) options.runOnly = {type: 'rule', values: rules};
        const r = await axe.run(document, options);
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || ''))}));
    }""", rules)
    return result


def horizontal_overflow(page) -> str | None:
    """What sticks out to the right of the screen, or None when the page is no wider than the viewport."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width + 1) return null;
        const culprits = [];
        const describe = el => {
            const path = [];
            for (let e = el; e && e !== document.body && path.length < 4; e = e.parentElement)
                path.unshift(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                             + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : ''));
            return path.join('>') + ' "' + (el.textContent || '').trim().slice(0, 30) + '"';
        };
        for (const el of document.body.querySelectorAll('*')) {
            const closed = el.closest('details:not([open])');
            if (closed && !el.closest('summary')) continue;   // not shown until opened
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0) {
                let clipped = false;
                for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 1) {
                        clipped = true; break; }
                }
                if (!clipped) culprits.push(describe(el) + ' (' + Math.round(r.right) + 'px)');
            }
            if (culprits.length >= 4) break;
        }
        return 'page ' + document.documentElement.scrollWidth + 'px wide in ' + width + 'px: ' + culprits.join(', ');
    }""")

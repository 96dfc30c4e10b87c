"""Journeys through the console in chromium, each as its role does it: clicking what the page shows."""
from __future__ import annotations

import io
import re
import time
import urllib.request
import wave
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import resize

pytestmark = pytest.mark.no_db


def _saturday_after(days: int) -> date:
    day = date.today() + timedelta(days=days)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _body(message) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part else ""


def _hold_requests(page, pattern: str) -> list:
    """Requests to pattern wait (unanswered) in the returned list until the test continues them."""
    held: list = []
    page.route(pattern, lambda route: held.append(route))
    return held


def _release(page, pattern: str, held: list) -> None:
    while held:
        held.pop().continue_()
    page.unroute(pattern)


def test_staff_schedules_reschedules_and_cancels_a_window(page, login, console):
    login(page, "staff@example.com")
    page.click(".main-nav a[href='/maintenance/']")
    expect(page.locator(".main-nav a[aria-current=page]")).to_have_attribute("href", "/maintenance/")
    page.click("a[href='/maintenance/new']")
    # too soon: the refusal names the earliest start, on a quarter hour
    tomorrow = date.today() + timedelta(days=1)
    page.fill("#starts_at", f"{tomorrow.isoformat()}T22:00")
    page.fill("#ends_at", f"{tomorrow.isoformat()}T23:00")
    page.fill("#title_de", "Browser-Wartung")
    page.locator("main form [type=submit]").click()
    refusal = page.locator("#starts_at-err")
    expect(refusal).to_contain_text("früheste zulässige Beginn")
    assert re.search(r"\d\d:(00|15|30|45) Uhr", refusal.inner_text()), refusal.inner_text()
    saturday = _saturday_after(8)
    page.fill("#starts_at", f"{saturday.isoformat()}T10:00")
    page.fill("#ends_at", f"{saturday.isoformat()}T12:00")
    page.locator("main form [type=submit]").click()
    expect(page.locator("h1")).to_have_text("Browser-Wartung")
    window_url = page.url
    console.wait_for_mail(lambda m: "Browser-Wartung" in str(m["Subject"]))

    page.click("a[href$='/edit']")
    sunday = saturday + timedelta(days=1)
    page.fill("#starts_at", f"{sunday.isoformat()}T10:00")
    page.fill("#ends_at", f"{sunday.isoformat()}T12:00")
    page.locator("main form [type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    moved = console.wait_for_mail(lambda m: "Browser-Wartung" in str(m["Subject"]) and ("Moved from" in _body(m)
                                  or "Verschoben von" in _body(m)))
    text = _body(moved)
    assert f"{saturday.day}." in text and f"{sunday.day}." in text, text   # the old and the new time

    page.click("a[href$='/cancel']")        # a confirmation page: works without JavaScript
    page.locator("main form [type=submit]").click()
    expect(page.locator(".field-error")).to_be_visible()   # the reason is asked for
    page.fill("#note", "Das Update ist zurückgezogen.")
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(window_url)
    expect(page.locator(".flash-success")).to_be_visible()
    cancelled = console.wait_for_mail(lambda m: "Das Update ist zurückgezogen." in _body(m))
    assert "Browser-Wartung" in str(cancelled["Subject"])


def _tone_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    import math
    frames = b"".join(int(12000 * math.sin(2 * math.pi * 440 * n / rate)).to_bytes(2, "little", signed=True)
                      for n in range(int(seconds * rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(rate), out.writeframes(frames)
    return buffer.getvalue()


def test_customer_admin_uploads_hold_music_plays_it_and_the_pbx_gets_audio(page, login, console):
    login(page, "customer-admin@example.com")
    page.click(".main-nav a[href$='/media']")
    upload = page.locator("form.upload-form[action$='/media/new']")
    upload.locator("input[name=name]").fill("Frühlingsmusik")
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "fruehling.wav", "mimeType": "audio/wav", "buffer": _tone_wav()}])
    button = upload.locator("button[type=submit]")
    held = _hold_requests(page, "**/media/new")
    button.click()
    expect(button).to_be_disabled()            # while the upload runs: no second upload by a second click
    _release(page, "**/media/new", held)
    item = page.locator("article", has_text="Frühlingsmusik")
    expect(item).to_be_visible()
    audio = item.locator("audio").first
    expect(audio).to_be_attached(timeout=30_000)
    playable = audio.evaluate("""a => new Promise(resolve => {
        a.addEventListener('canplay', () => resolve(a.duration), {once: true});
        a.addEventListener('error', () => resolve(-1), {once: true});
        a.preload = 'auto'; a.load(); a.muted = true; a.play().catch(() => {});
    })""")
    assert playable > 0.5, f"the browser could not play the upload (duration {playable})"
    url = item.locator("code.pbx-url").inner_text().replace("$coder", "g711a")
    with urllib.request.urlopen(url, timeout=30) as response:   # as the PBX fetches it
        assert response.status == 200
        body = response.read()
    import numpy as np
    import soundfile
    samples, _ = soundfile.read(io.BytesIO(body), format="RAW", subtype="ALAW", samplerate=8000, channels=1)
    assert 0.8 < len(samples) / 8000 < 1.3, len(samples)          # the second uploaded, as A-law at 8 kHz
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * 8000 / len(samples) - 440) < 10   # and it is the 440 Hz tone


def test_customer_admin_imports_a_csv_and_finds_the_caller(page, login, console):
    login(page, "customer-admin@example.com")
    page.click(".main-nav a[href='/directory/']")
    page.locator("a[href*='/directory/shared']").first.click()
    page.click("a[href$='/import']")
    csv = "Vorname;Nachname;Firma;Telefon\nGreta;Grünwald;Gärtnerei Grünwald;040 5557788\n".encode()
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "kontakte.csv", "mimeType": "text/csv", "buffer": csv}])
    page.locator("main form [type=submit]").first.click()
    expect(page.locator("main")).to_contain_text("Grünwald")
    page.locator("main form button[type=submit]", has_text=re.compile("1")).click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 angelegt")
    page.click("main a[href*='/directory/shared']")     # back to the phonebook
    search = page.locator("input[type=search]")
    # the import is written to the phonebook server by a job: on a busy machine the search may ask before it landed
    deadline = time.monotonic() + 45
    while True:
        search.fill("5557788")      # without the area code: Müller's PBX is in Hamburg (040), so is Greta
        search.press("Enter")
        try:
            page.wait_for_url(re.compile(r"[?&]q=5557788"))       # the filtered list, not the one before it
            expect(page.locator("#rows")).not_to_contain_text("Lindner", timeout=3000)
            expect(page.locator("#rows")).to_contain_text("Greta", timeout=3000)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_the_language_switch_changes_html_lang_and_the_phone_menu_opens(page, login, console):
    login(page, "reseller@example.com")
    page.click("header button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header")).to_contain_text("Overview")
    resize(page, 390, 844)
    expect(page.locator(".main-nav")).to_be_hidden()
    page.click(".nav-menu > summary")                 # details/summary: opens without JavaScript too
    page.locator(".nav-menu a[href='/incidents/']").click()
    expect(page.locator(".nav-menu a[aria-current=page]")).to_have_attribute("href", "/incidents/")
    page.click("header button[value=de]")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    # English chosen elsewhere (another tab): the next boosted page brings its <html lang> along
    page.evaluate("""() => fetch('/language', {method: 'POST', body: new URLSearchParams({language: 'en', next: '/'}),
        headers: {'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}})""")
    resize(page, 1366, 900)
    page.click(".main-nav a[href='/maintenance/']")
    expect(page.locator("h1")).to_contain_text("Maintenance")
    expect(page.locator("html")).to_have_attribute("lang", "en")

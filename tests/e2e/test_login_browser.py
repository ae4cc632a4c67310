"""A patient logs in with the test e-ID in a real browser (Debian's chromium through
Playwright), through the gateway: the login page, the test e-ID approval page, back to the
gateway with a session cookie, an API call that only the cookie authorizes, and logout.

Fields are found by their labels and buttons by their names, as assistive technology finds
them, so a missing label fails the test."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from tests.e2e.support import SEED

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def page():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(locale="sv-SE")
            yield await context.new_page()
        finally:
            await browser.close()


async def test_patient_logs_in_with_test_e_id_through_the_gateway(stack, page) -> None:
    gateway = stack.urls()["gateway"]
    personnummer = SEED["patients"][2]["personnummer"]
    await page.goto(f"{gateway}/")
    await page.get_by_role("button", name="Logga in").click()  # GOV.UK's start button: a link

    # identity's login page: the patient part, e-ID with the test provider.
    await expect(page.get_by_role("heading", name="Logga in", level=1)).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "sv"
    await page.get_by_role("button", name=re.compile(r"^Logga in med e-legitimation")).click()

    # The test e-ID "app": type the personnummer and approve.
    await expect(page.get_by_role("heading", name="Test-e-legitimation")).to_be_visible()
    await page.get_by_label("Personnummer att legitimera som").fill(personnummer)
    await page.get_by_role("button", name="Godkänn legitimering").click()

    # Back at the gateway, logged in (a patient lands on the start page); tokens stay in the
    # gateway, the page has a cookie.
    await page.wait_for_url(f"{gateway}/start")
    await expect(page.get_by_role("heading", name="Dina vårdenheter")).to_be_visible()
    cookies = {c["name"]: c for c in await page.context.cookies(gateway)}
    assert cookies["mvk_session"]["httpOnly"] and cookies["mvk_session"]["sameSite"] == "Lax"
    listing = await page.request.get(f"{gateway}/api/patient/v1/conversations")
    assert listing.status == 200, await listing.text()

    await page.get_by_role("button", name="Logga ut").click()
    await expect(page.get_by_role("button", name="Logga in")).to_be_visible()
    after = await page.request.get(f"{gateway}/api/patient/v1/conversations")
    assert after.status == 401


async def test_wrong_staff_code_is_refused_with_a_message(stack, page) -> None:
    gateway = stack.urls()["gateway"]
    await page.goto(f"{gateway}/login")
    await page.get_by_label("HSA-id").fill("SE2321000016-S003")
    await page.get_by_label("Lösenord", exact=True).last.fill("fel lösenord")
    await page.get_by_label(re.compile("^Engångskod")).fill("123456")
    await page.get_by_role("button", name="Logga in som personal").click()
    await expect(page.get_by_role("alert")).to_contain_text("Inloggningen misslyckades")

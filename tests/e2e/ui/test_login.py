"""identity's login pages in real Chromium, in Swedish and in English: the login page (test
e-ID buttons, the personnummer + password form of the activation letter, the staff form with
HSA-id, password and TOTP), the test e-ID page, and error states (a wrong staff login, an
invalid personnummer). Each gets a screenshot, axe (no serious or critical WCAG 2.2 AA
violation) and a check that it shows no text of the other language (identity's catalogs).
The language comes from the gateway (ui_locales) and the login page's own switch."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.e2e.support import SEED
from tests.e2e.ui.harness import assert_accessible
from tests.unit.identity.test_login_i18n import foreign_phrases

pytestmark = pytest.mark.e2e
PATIENT = SEED["patients"][0]["personnummer"]
WORDS = {
    "sv": {"title": "Logga in – Mina vårdkontakter", "eid": "Test-e-legitimation",
           "approve": "Godkänn legitimering", "failed": "Inloggningen misslyckades",
           "invalid": "Ange ett giltigt personnummer", "problem": "Det finns ett problem",
           "staff": "Logga in som personal", "password": "Logga in med lösenord"},
    "en": {"title": "Log in – Mina vårdkontakter", "eid": "Test e-ID",
           "approve": "Approve identification", "failed": "Login failed",
           "invalid": "Enter a valid personnummer", "problem": "There is a problem",
           "staff": "Log in as staff", "password": "Log in with password"},
}


async def check(ui, page: Page, lang: str, name: str) -> None:
    """Screenshot, `<html lang>`, identity's strings in `lang` only, a skip link, axe."""
    await ui.shot(page, name)
    assert await page.evaluate("document.documentElement.lang") == lang
    text = await page.inner_text("body")
    leaked = [p for p in foreign_phrases(lang) if p in text]
    assert not leaked, f"{name} ({lang}) shows untranslated: {leaked}"
    await expect(page.locator("a.govuk-skip-link")).to_have_attribute("href", "#main-content")
    await assert_accessible(page, name)


async def identity_login_page(ui, lang: str) -> Page:
    page = await ui.page(lang=lang)
    response = await page.goto(ui.gateway + "/login")
    assert response is not None and response.status == 200
    assert not page.url.startswith(ui.gateway)  # identity's own origin
    assert await page.title() == WORDS[lang]["title"]
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    html = await response.text()  # as served (the DOM would show what scripts added)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html
    # The design system is served by identity: its script ran and its stylesheet applies.
    assert await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    return page


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_login_page_and_its_forms_in_each_language(ui, lang: str) -> None:
    page = await identity_login_page(ui, lang)
    await check(ui, page, lang, f"identity-login-{lang}")
    password_form = page.locator("form[action='/login/password']")
    await expect(password_form.get_by_role("button")).to_have_text(WORDS[lang]["password"])
    await password_form.screenshot(path=str(ui.shots / f"identity-login-password-{lang}.png"))
    staff_form = page.locator("form[action='/login/staff']")
    await expect(staff_form.get_by_role("button")).to_have_text(WORDS[lang]["staff"])
    for field in ("hsa_id", "password", "otp"):  # each labelled, as assistive technology reads
        label = await staff_form.locator(f"input[name={field}]").evaluate(
            "el => el.labels[0].innerText")
        assert label.strip()
    await staff_form.screenshot(path=str(ui.shots / f"identity-login-staff-{lang}.png"))


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_staff_error_state_leads_to_the_field(ui, lang: str) -> None:
    page = await identity_login_page(ui, lang)
    staff_form = page.locator("form[action='/login/staff']")
    await staff_form.locator("input[name=hsa_id]").fill("SE2321000016-S003")
    await staff_form.locator("input[name=password]").fill("wrong password")
    await staff_form.locator("input[name=otp]").fill("123456")
    await staff_form.get_by_role("button").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text(WORDS[lang]["problem"])
    await expect(summary).to_contain_text(WORDS[lang]["failed"])
    await expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    assert (await page.title()).startswith("Fel: " if lang == "sv" else "Error: ")
    await check(ui, page, lang, f"identity-login-staff-error-{lang}")
    await summary.get_by_role("link").click()
    await expect(page.locator("#staff-hsa-id")).to_be_focused()


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_test_e_id_page_its_error_and_the_way_back(ui, lang: str) -> None:
    page = await identity_login_page(ui, lang)
    await page.locator("form[action='/login/eid/start'] button").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[lang]["eid"])
    await check(ui, page, lang, f"identity-test-eid-{lang}")
    await page.locator("input[name=personnummer]").fill("not a number")
    await page.get_by_role("button", name=WORDS[lang]["approve"]).click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(WORDS[lang]["invalid"])
    await check(ui, page, lang, f"identity-test-eid-error-{lang}")
    await page.locator("input[name=personnummer]").fill(PATIENT)
    await page.get_by_role("button", name=WORDS[lang]["approve"]).click()
    await page.wait_for_url(re.compile(re.escape(ui.gateway) + r"/(start|\?|$)"))
    assert await page.evaluate("document.documentElement.lang") == lang  # the gateway's too


async def test_the_switch_on_the_login_page_changes_language_and_keeps_the_login(ui) -> None:
    page = await identity_login_page(ui, "sv")
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    await check(ui, page, "en", "identity-login-switched-en")
    await page.locator("form[action='/login/eid/start'] button").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Test e-ID")  # remembered
    await page.get_by_role("link", name="Svenska").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Test-e-legitimation")
    await page.locator("input[name=personnummer]").fill(PATIENT)
    await page.get_by_role("button", name="Godkänn legitimering").click()
    await page.wait_for_url(re.compile(re.escape(ui.gateway) + r"/(start|\?|$)"))

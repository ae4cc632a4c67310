"""The contact settings flow in real Chromium: a patient saves an e-mail address (shown as not
confirmed), opens the link from the confirmation mail in a browser that is not logged in,
logs in with the test e-ID, comes back to the link, confirms with the button, and sees the
address confirmed; the used link is then refused with its reason. axe on every page."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from tests.e2e import inspect
from tests.e2e.support import eventually

pytestmark = pytest.mark.e2e
PATIENT = "197306219192"  # in the population register, not seeded: no address at first
LINK = re.compile(r"http://\S+/settings/verify\?token=[A-Za-z0-9_\-%]+")


async def test_patient_saves_and_confirms_an_address(ui, stack) -> None:
    address = f"ui-{uuid.uuid4().hex[:12]}@example.org"
    page = await ui.page(lang="sv")
    await ui.login_patient(page, PATIENT)
    await ui.visit(page, "/settings", "contact-settings-empty")
    await expect(page.locator("#email-status")).to_have_count(0)
    await page.locator("#email").fill("inte-en-adress")
    await page.get_by_role("button", name="Spara").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await page.locator("#email").fill(address)
    await page.locator("#notify-reminder").uncheck()
    await page.get_by_role("button", name="Spara").click()
    await expect(page.locator("#saved-title")).to_be_visible()
    await expect(page.locator("#email-status")).to_contain_text("Inte bekräftad")
    await expect(page.locator("#notify-reminder")).not_to_be_checked()
    await ui.check(page, "contact-settings-unconfirmed")

    [mail] = await eventually(lambda: inspect.mails_to(stack, address),
                              what="confirmation mail")
    link = LINK.search(mail["body"]).group(0)

    # Another browser, not logged in: the link leads through the login and back to itself.
    other = await ui.page(lang="sv")
    await other.goto(link)
    await other.locator("form[action='/login/eid/start'] button").first.click()
    await other.locator("input[name=personnummer]").fill(PATIENT)
    await other.locator("button[name=decision][value=approve]").click()
    await other.wait_for_url(re.compile(r".*/settings/verify\?token="))
    await ui.check(other, "contact-verify")
    await page.reload()  # opening the link (a GET) changed nothing
    await expect(page.locator("#email-status")).to_contain_text("Inte bekräftad")
    await other.get_by_role("button", name="Bekräfta min e-postadress").click()
    await other.wait_for_url(re.compile(r".*/settings\?verified=1"))
    await expect(other.locator("#verified-title")).to_be_visible()
    await expect(other.locator("#email-status")).to_contain_text("Bekräftad")
    await ui.check(other, "contact-settings-confirmed")

    # The link works once.
    await other.goto(link)
    await other.get_by_role("button", name="Bekräfta min e-postadress").click()
    await expect(other.locator(".govuk-error-summary")).to_contain_text("redan använts")
    await ui.check(other, "contact-verify-used")

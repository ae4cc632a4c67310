"""The administrator's page of promised answer times in real headless Chromium: the unit's
own time replaces the default, a bad value is refused next to its field, and the
care-unit mailbox holds exactly what the page says; in Swedish and in English."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.support import Person
from tests.e2e.ui.staff_flow import assert_one_language, check_here, login_staff, new_team

pytestmark = pytest.mark.e2e


async def _unit_promises(ui, staff_hsa_id: str, unit_id: str) -> dict[str, dict]:
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        admin = await Person.login(http, hsa_id=staff_hsa_id)
        found = await admin.unit("GET", f"/v1/units/{unit_id}/answer-promises")
    assert found.status_code == 200, found.text
    return {p["service_type"]: p for p in found.json()}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_administrator_sets_the_units_answer_time(stack, ui, tmp_path, lang) -> None:
    team = await new_team(stack, tmp_path)
    page = await ui.page(lang=lang, javascript=False)
    await login_staff(ui, page, team.admin, "/staff/inbox")
    await page.select_option("#unit", team.unit.unit_id)
    await page.locator("form[action='/staff/unit'] button").click()
    await page.goto(f"{ui.gateway}/staff/promises")
    row = page.locator("#p-advice")
    await expect(row.locator("input[name=days]")).to_have_value("1")  # the default
    await check_here(ui, page, f"staff-promises-{lang}", docs=lang == "sv")
    await assert_one_language(page, lang)

    await row.locator("input[name=days]").fill("tre")
    await row.locator("button").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await expect(page.locator("#days-advice-error")).to_be_visible()
    await check_here(ui, page, f"staff-promises-error-{lang}")
    await assert_one_language(page, lang)
    assert (await _unit_promises(ui, team.admin, team.unit.unit_id))["advice"]["default"]

    await page.locator("#p-advice input[name=days]").fill("2")
    await page.locator("#p-advice button").click()
    await expect(page.locator("#p-advice input[name=days]")).to_have_value("2")
    await expect(page.locator(".govuk-notification-banner")).to_be_visible()
    saved = await _unit_promises(ui, team.admin, team.unit.unit_id)
    assert saved["advice"] == {"service_type": "advice", "days": 2, "default": False}
    assert saved["renew_prescription"]["default"]  # the others keep theirs

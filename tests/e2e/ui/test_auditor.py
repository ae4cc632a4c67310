"""The auditor's pages in a real browser, in both languages (Swedish with JavaScript off,
English with it on): search the audit log by event type and subject, page through it, open
a record, and run the hash-chain verification. Staff without the auditor role are refused.
axe and a screenshot on every page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e.support import SEED, eventually, staff_of
from tests.e2e.ui.harness import assert_accessible
from tests.e2e.ui.staff_pages import login_staff

pytestmark = pytest.mark.e2e
UNIT = SEED["care_units"][0]["unit_id"]
AUDITOR = staff_of(UNIT, "auditor")[0]["hsa_id"]
DESIGNER = staff_of(UNIT, "form_designer")[0]["hsa_id"]
WORDS = {"sv": {"search": "Sök", "verify": "Kör kontrollen", "intact": "Kedjan är hel",
                "next": "Nästa sida", "title": "Granskningslogg"},
         "en": {"search": "Search", "verify": "Run the verification",
                "intact": "The chain is intact", "next": "Next page", "title": "Audit log"}}


async def column(page: Page, n: int) -> list[str]:
    return await page.locator(f"#records tbody tr td:nth-child({n})").all_inner_texts()


@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_auditor_searches_pages_opens_a_record_and_verifies_the_chain(
        ui, lang: str, javascript: bool) -> None:
    words = WORDS[lang]
    page = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, page, AUDITOR, "/auditor")
    assert await page.title() == f"{words['title']} – Mina vårdkontakter"

    async def some_records() -> bool:
        await page.goto(ui.gateway + "/auditor")
        return await page.locator("#records tbody tr").count() > 0
    await eventually(some_records, timeout=60, what="audit records")
    await ui.shot(page, f"auditor-search-{lang}", docs=lang == "sv")
    await assert_accessible(page)

    # Search by the first record's event type: every row has it.
    event_type = (await column(page, 3))[0]
    await page.locator("#event_type").fill(event_type)
    await page.get_by_role("button", name=words["search"], exact=True).click()
    assert set(await column(page, 3)) == {event_type}
    assert f"event_type={event_type}" in page.url

    # By subject too, then open a record.
    subject = (await column(page, 4))[0]
    await page.locator("#subject").fill(subject)
    await page.get_by_role("button", name=words["search"], exact=True).click()
    assert set(await column(page, 4)) == {subject}
    seq = (await column(page, 1))[0]
    await page.locator("#records tbody tr td a").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(seq)
    await expect(page.locator("#record")).to_contain_text(event_type)
    await ui.shot(page, f"auditor-record-{lang}", docs=lang == "sv")
    await assert_accessible(page)

    # Paging: the second page starts after the first one's last record.
    await page.goto(ui.gateway + "/auditor")
    first_page = [int(s) for s in await column(page, 1)]
    if len(first_page) == 25 and await page.get_by_role("link", name=words["next"]).count():
        await page.get_by_role("link", name=words["next"]).click()
        second = [int(s) for s in await column(page, 1)]
        assert second and min(second) > max(first_page)
        await ui.shot(page, f"auditor-page-2-{lang}")
        await assert_accessible(page)

    # The chain verification.
    await ui.visit(page, "/auditor/verify", f"auditor-verify-{lang}")
    await page.get_by_role("button", name=words["verify"]).click()
    await expect(page.locator("#verify-result")).to_contain_text(words["intact"])
    await ui.shot(page, f"auditor-verified-{lang}", docs=lang == "sv")
    await assert_accessible(page)


async def test_only_auditors_see_the_audit_log(ui) -> None:
    page = await ui.page(javascript=False)
    await login_staff(ui, page, DESIGNER, "/designer")
    response = await page.goto(ui.gateway + "/auditor")
    assert response.status == 403
    assert await page.get_by_role("link", name="Granskningslogg").count() == 0
    response = await page.goto(ui.gateway + "/auditor/records/1")
    assert response.status == 403

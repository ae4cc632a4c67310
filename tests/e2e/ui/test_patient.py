"""The patient's pages in real Chromium, in Swedish and in English: log in with the test
e-ID, the start page (listed care centre first), an e-service form with every item type and
condition (with JavaScript on and off, and by keyboard only), the inbox, the conversation,
replying, contact settings, a password-level session, and logging out. axe and a screenshot
on every page; every page is checked for text of the other language."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e import oidc_flow
from tests.e2e.support import SEED, Person, eventually
from tests.e2e.ui.allforms import SERVICE, UNIT, UNIT_NAME, publish_every_type_form

pytestmark = pytest.mark.e2e
WORDS = {
    "sv": {"service": "Beställa kopia av journal", "inbox": "Inkorg", "send": "Skicka",
           "update": "Uppdatera formuläret med mina svar", "sent": "Ditt meddelande har skickats",
           "logout": "Logga ut", "reply": "Skicka svar", "title": "Alla frågetyper"},
    "en": {"service": "Order a copy of your medical records", "inbox": "Inbox", "send": "Send",
           "update": "Update the form with my answers", "sent": "Your message has been sent",
           "logout": "Log out", "reply": "Send reply", "title": "Every question type"},
}


@pytest.fixture(scope="module")
async def every_type_form(stack) -> None:
    await publish_every_type_form(stack.urls()["gateway"])


async def _changed(page: Page, javascript: bool, lang: str, shows: str) -> None:
    """After answering a question others depend on: htmx updates the form by itself; without
    JavaScript the patient presses the update button."""
    if not javascript:
        await page.get_by_role("button", name=WORDS[lang]["update"]).click()
    await expect(page.locator(shows)).to_be_visible()


async def fill_every_type(page: Page, lang: str, javascript: bool, marker: str) -> None:
    await expect(page.locator("#q-pain_level")).to_have_count(0)  # conditions not met yet
    await expect(page.locator("#q-street")).to_have_count(0)
    await page.get_by_label(re.compile("^(Vad gäller det|What is it about)")).fill(marker)
    await page.locator("#q-details").fill("Rad ett\nRad två")
    await page.locator("#q-pain").check()  # yes
    await _changed(page, javascript, lang, "#q-pain_level")
    await page.locator("#q-pain_level").fill("4")
    await page.locator("#q-temperature").fill("38,5")
    await page.locator("#q-since").fill("2025-03-01")
    await _changed(page, javascript, lang, "#q-fever_note")
    await page.locator("#q-fever_note").fill("Hög på kvällen")
    await page.locator("#q-call_at").fill("2025-03-02 14:30")
    await page.locator("#q-copy_kind-paper").check()
    await _changed(page, javascript, lang, "#q-street")
    await expect(page.locator("#q-not_digital")).to_be_visible()
    await page.locator("#q-street").fill("Testgatan 1")
    await page.locator("#q-topics").check()
    await page.locator("#q-topics-other").check()
    await _changed(page, javascript, lang, "#q-other_topic")
    await page.locator("#q-other_topic").fill("Röntgen")


async def open_every_type_form(ui, page: Page, lang: str) -> None:
    await page.goto(ui.gateway + "/start")
    unit = page.locator(f"#unit-{UNIT}")
    await unit.get_by_role("link", name=re.compile("^" + WORDS[lang]["service"])).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[lang]["title"])
    await expect(page.locator("#urgency")).to_contain_text("112")


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_patient_sends_an_e_service_form_and_finds_it_in_the_inbox(
        ui, every_type_form, lang: str) -> None:
    words = WORDS[lang]
    page = await ui.page(lang=lang)
    patient = SEED["patients"][0] if lang == "sv" else SEED["patients"][3]
    await ui.login_patient(page, patient["personnummer"])
    assert await page.title() == ("Start – Mina vårdkontakter")
    await ui.check(page, f"patient-start-{lang}", docs=lang == "sv")
    # The listed care centre comes first and is marked as such.
    listed = SEED["care_units"][0]["unit_id"] if lang == "sv" else None
    if listed:
        first = page.locator(".govuk-summary-card").first
        await expect(first).to_have_id(f"unit-{listed}")
        await expect(first.locator(".govuk-tag")).to_have_text("Din vårdcentral")

    await open_every_type_form(ui, page, lang)
    await ui.check(page, f"patient-form-empty-{lang}")
    await page.get_by_role("button", name=words["send"], exact=True).click()
    # Errors: summarised at the top (linking to the fields) and next to each field.
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(page.locator("#q-reason-error")).to_be_visible()
    await ui.check(page, f"patient-form-errors-{lang}", docs=lang == "sv")
    await summary.locator("a[href='#q-reason']").click()
    await expect(page.locator("#q-reason")).to_be_focused()

    marker = f"UI-{lang}-JS"
    await fill_every_type(page, lang, True, marker)
    await ui.check(page, f"patient-form-filled-{lang}", docs=lang == "sv")
    await page.get_by_role("button", name=words["send"], exact=True).click()
    await expect(page.locator("#sent-confirmation")).to_contain_text(words["sent"])
    assert await page.title() == f"{words['inbox']} – Mina vårdkontakter"
    row = page.locator("table tbody tr").filter(has_text=words["service"]).first
    await expect(row).to_contain_text(UNIT_NAME)
    await ui.check(page, f"patient-inbox-{lang}", docs=lang == "sv")

    await row.get_by_role("link").click()
    await expect(page.locator("#thread")).to_be_visible()
    await expect(page.locator("#status")).not_to_be_empty()
    await ui.check(page, f"patient-conversation-{lang}", docs=lang == "sv")
    await ui.visit(page, "/sent", f"patient-sent-{lang}")
    await ui.visit(page, "/settings", f"patient-settings-{lang}")

    await page.get_by_role("button", name=words["logout"]).first.click()
    await expect(page.locator("form[action='/logout']")).to_have_count(0)
    await ui.check(page, f"logged-out-{lang}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_every_item_type_and_condition_with_and_without_javascript(
        ui, every_type_form, javascript: bool) -> None:
    page = await ui.page(javascript=javascript)
    await ui.login_patient(page, SEED["patients"][1]["personnummer"])
    await open_every_type_form(ui, page, "sv")
    marker = f"UI-{'js' if javascript else 'nojs'}"
    await fill_every_type(page, "sv", javascript, marker)
    # Turning a condition off hides what depended on it again.
    await page.locator("#q-copy_kind").check()  # digitally
    await _changed(page, javascript, "sv", "#q-copy_kind")
    await expect(page.locator("#q-street")).to_have_count(0)
    await expect(page.locator("#q-not_digital")).to_have_count(0)
    await ui.check(page, f"patient-form-conditions-{'js' if javascript else 'nojs'}")
    await page.get_by_role("button", name="Skicka", exact=True).click()
    await expect(page.locator("#sent-confirmation")).to_be_visible()


async def _tab_to(page: Page, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") \
                == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


async def test_keyboard_only_patient_sends_the_form(ui, every_type_form) -> None:
    page = await ui.page()
    await ui.login_patient(page, SEED["patients"][2]["personnummer"])
    await page.goto(ui.gateway + f"/write/{UNIT}/{SERVICE}")
    # The skip link is the first stop and leads to the content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "govuk-skip-link"
    await _tab_to(page, "q-reason")
    await page.keyboard.type("Tangentbord")
    await _tab_to(page, "q-pain")
    await page.keyboard.press("ArrowDown")  # to "no": no pain level asked
    await expect(page.locator("#q-pain-no")).to_be_checked()
    await _tab_to(page, "q-copy_kind")
    await page.keyboard.press("Space")  # digitally
    await expect(page.locator("#q-copy_kind")).to_be_checked()
    await _tab_to(page, "q-topics")
    await page.keyboard.press("Space")
    await ui.shot(page, "patient-form-keyboard")
    # The send button: Tab to it, then Enter.
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.value") == "send":
            break
    await page.keyboard.press("Enter")
    await expect(page.locator("#sent-confirmation")).to_be_visible()


async def test_patient_replies_in_the_conversation(ui, stack, every_type_form) -> None:
    patient_no = SEED["patients"][4]["personnummer"]
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        patient = await Person.login(http, personnummer=patient_no)
        sent = await patient.submit(SEED["care_units"][1]["unit_id"], "advice")
        assert sent.status_code == 201, sent.text
        cid = sent.json()["conversation_id"]
        # The API the reply form posts to takes a reply once the unit has the conversation
        # (before that it answers 409: the reply would have nowhere to go).
        async def replied() -> httpx.Response | None:
            probe = await patient.patient("POST", f"/v1/conversations/{cid}/messages",
                                          json={"subject": "", "text": "probe"})
            assert probe.status_code in (201, 409), probe.text
            return probe if probe.status_code == 201 else None
        await eventually(replied, timeout=60, what="the unit receiving the conversation")
    page = await ui.page()
    await ui.login_patient(page, patient_no)
    await page.goto(ui.gateway + f"/conversations/{cid}")
    await page.get_by_label("Ditt meddelande").fill("Ett svar från webben")
    await page.get_by_role("button", name="Skicka svar").click()
    await expect(page.get_by_text("Ditt svar har skickats.")).to_be_visible()
    await expect(page.locator("#thread")).to_contain_text("Ett svar från webben")
    await ui.check(page, "patient-replied")


async def test_password_level_patient_sees_messages_exist_but_not_their_content(ui) -> None:
    person = SEED["patients"][5]["personnummer"]
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        eid = await Person.login(http, personnummer=person)
        assert (await eid.submit(SEED["care_units"][1]["unit_id"], "advice")).status_code == 201
        password = await oidc_flow.patient_password(http, person)
    page = await ui.page()
    await ui.login_patient_password(page, person, password)
    await expect(page.locator("#eid-needed")).to_be_visible()
    await ui.check(page, "patient-password-start")
    await ui.visit(page, "/inbox", "patient-password-inbox", docs=True)
    await expect(page.locator("#eid-needed")).to_be_visible()
    rows = page.locator("table tbody tr")
    await expect(rows.first).to_be_visible()
    assert await rows.first.get_by_role("link").count() == 0  # no way in to the content
    row_id = await rows.first.get_attribute("id")
    await ui.visit(page, f"/conversations/{row_id.removeprefix('c-')}", "patient-password-eid")
    await expect(page.locator("#eid-needed")).to_be_visible()

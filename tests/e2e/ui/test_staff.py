"""The care-unit staff's pages in real headless Chromium: the ten steps clicked through by
the administrator and the clinician (take-back, reassign, a conflict shown, away and back,
answer templates, answer, follow-up, close), once in Swedish with JavaScript off and once
in English with it on, with a screenshot, axe and a one-language check of every staff page;
and the administrator's assign flow with the keyboard only.

The patient sends the message through the patient-mailbox API (a token from identity's
real login, tests/e2e/oidc_flow.py) and reads the answer and replies in the patient pages."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e import inspect
from tests.e2e.support import SEED, Person, eventually
from tests.e2e.ui.staff_flow import (
    Team,
    assert_one_language,
    check_here,
    login_staff,
    new_team,
    reload_until,
)

pytestmark = pytest.mark.e2e
PATIENT = SEED["patients"][3]["personnummer"]
README_SHOTS = {"staff-inbox-unassigned-sv", "staff-message-opened-sv", "staff-unanswered-sv",
                "staff-compose-sv"}  # also copied to docs/screenshots for the README


async def _send(ui, team: Team, text: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        patient = await Person.login(http, personnummer=PATIENT)
        sent = await patient.submit(team.unit.unit_id, "renew_prescription", text=text)
    assert sent.status_code == 201, sent.text
    return sent.json()["message_id"], sent.json()["conversation_id"]


async def _page(ui, page: Page, path: str, name: str, lang: str) -> None:
    response = await page.goto(ui.gateway + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await check_here(ui, page, name)
    await assert_one_language(page, lang)


async def _seen(ui, page: Page, name: str, lang: str) -> None:
    await check_here(ui, page, name, docs=name in README_SHOTS)
    await assert_one_language(page, lang)


async def _assignable(ui, page: Page, message_id: str, *names: str) -> None:
    """The message page once the unit's clinicians have reached the care-unit mailbox."""
    url = f"{ui.gateway}/staff/messages/{message_id}"
    for name in names:
        await reload_until(page, url, f"#assignee option:text-is('{name}')")


# ~30 page loads, each with axe in a fresh browser context, three logins and the events'
# trips: longer than the default per-test timeout on a loaded two-core machine.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_ten_steps_through_the_staff_pages(stack, ui, tmp_path, lang: str,
                                                 javascript: bool) -> None:
    team = await new_team(stack, tmp_path)
    marker, answer, follow = (f"{k}-{uuid.uuid4().hex[:12]}" for k in ("MSG", "ANS", "FUP"))
    # 1-4. The patient logs in and sends the message (API); it reaches the unit.
    message_id, conversation_id = await _send(ui, team, f"Jag behöver förnya receptet. {marker}")
    doctor, nurse = team.name(team.doctor), team.name(team.nurse)

    # 5. The administrator logs in; they work at two units and choose this one.
    admin = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, admin, team.admin, "/staff/inbox")
    await admin.select_option("#unit", team.unit.unit_id)
    await admin.locator("form[action='/staff/unit'] button").click()
    await expect(admin.locator("#unit")).to_have_value(team.unit.unit_id)
    await reload_until(admin, f"{ui.gateway}/staff/inbox?view=unassigned", f"#m-{message_id}")
    await _seen(ui, admin, f"staff-inbox-unassigned-{lang}", lang)
    for view in ("mine", "others", "answered"):
        await _page(ui, admin, f"/staff/inbox?view={view}", f"staff-inbox-{view}-{lang}", lang)
    await _page(ui, admin, "/staff/inbox?view=unassigned&service=renew_prescription&group=",
                f"staff-inbox-filtered-{lang}", lang)
    await expect(admin.locator(f"#m-{message_id}")).to_be_visible()
    await _page(ui, admin, "/staff/inbox?view=unassigned&service=advice",
                f"staff-inbox-filtered-empty-{lang}", lang)
    await expect(admin.locator(f"#m-{message_id}")).to_have_count(0)

    # 6. ... reads it (an explicit POST: the GET page shows no content) and distributes it.
    await _page(ui, admin, "/staff/inbox?view=unassigned", f"staff-inbox-{lang}", lang)
    await admin.locator(f"#m-{message_id} a").click()
    await expect(admin.locator("#logged-note")).to_be_visible()
    assert marker not in await admin.content()
    await _seen(ui, admin, f"staff-message-{lang}", lang)
    await admin.locator("#open-button").click()
    await expect(admin.locator("#thread")).to_contain_text(marker)
    await expect(admin.locator("#read-logged")).to_be_visible()
    await _seen(ui, admin, f"staff-message-opened-{lang}", lang)

    await _assignable(ui, admin, message_id, doctor, nurse)
    stale = await admin.context.new_page()  # a second tab, still showing it unassigned
    await stale.goto(f"{ui.gateway}/staff/messages/{message_id}")
    await admin.select_option("#assignee", label=doctor)
    await admin.locator("#assign-button").click()
    await expect(admin.locator("#done")).to_be_visible()
    await expect(admin.locator("#holder")).to_have_text(doctor)
    await _seen(ui, admin, f"staff-message-assigned-{lang}", lang)
    await stale.select_option("#assignee", label=nurse)
    await stale.locator("#assign-button").click()  # 409: the page says who has it
    await expect(stale.locator(".govuk-error-summary")).to_contain_text(doctor)
    await _seen(ui, stale, f"staff-message-conflict-{lang}", lang)

    # The doctor goes on leave: take back, then reassign (take back + assign in one).
    await admin.locator("#take-back-button").click()
    await expect(admin.locator("#done")).to_be_visible()
    await expect(admin.locator("#holder")).not_to_contain_text(doctor)
    await admin.select_option("#assignee", label=doctor)
    await admin.locator("#assign-button").click()
    await expect(admin.locator("#holder")).to_have_text(doctor)
    await admin.select_option("#assignee", label=nurse)
    await admin.locator("#assign-button").click()  # now "Reassign"
    await expect(admin.locator("#holder")).to_have_text(nurse)

    await _page(ui, admin, "/staff/clinicians", f"staff-clinicians-{lang}", lang)
    row = admin.locator("#clinicians tr", has_text=doctor)
    await row.locator("button").click()
    await expect(admin.locator("#clinicians tr", has_text=doctor)).to_contain_text(
        "Frånvarande" if lang == "sv" else "Away")
    await _seen(ui, admin, f"staff-clinicians-away-{lang}", lang)
    await admin.locator("#clinicians tr", has_text=doctor).locator("button").click()
    await expect(admin.locator("#clinicians tr", has_text=doctor)).to_contain_text(
        "I tjänst" if lang == "sv" else "At work")
    await reload_until(admin, f"{ui.gateway}/staff/unanswered", f"#u-{message_id}")
    await expect(admin.locator(f"#u-{message_id}")).to_contain_text(nurse)
    await _seen(ui, admin, f"staff-unanswered-{lang}", lang)

    # 7. The clinician writes the answer, starting from a national answer template.
    clin = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, clin, team.nurse, "/staff/mine")
    await reload_until(clin, f"{ui.gateway}/staff/mine", f"#m-{message_id}")
    await _seen(ui, clin, f"staff-mine-{lang}", lang)
    await _personal_template(ui, clin, lang)
    await clin.goto(f"{ui.gateway}/staff/messages/{message_id}")
    await clin.locator("#open-button").click()
    await expect(clin.locator("#thread")).to_contain_text(marker)
    await _seen(ui, clin, f"staff-opened-clinician-{lang}", lang)
    await clin.select_option("#template", "national-received")
    await clin.locator("#insert-button").click()
    box = clin.locator("#answer-text")
    await expect(box).to_have_value(f"Hej! Vi har tagit emot ditt ärende och återkommer så "
                                    f"snart vi kan.\n\nMed vänliga hälsningar\n{nurse}\n"
                                    f"{team.unit.name}")
    assert marker not in await clin.content()  # inserting is no read of the content
    await _seen(ui, clin, f"staff-compose-{lang}", lang)
    await box.fill(f"{await box.input_value()}\n{answer}")
    first = "#send-answer" if lang == "sv" else "#send-question"
    await clin.locator(first).click()
    await expect(clin.locator("#done")).to_be_visible()

    # 8-10. The answer reaches the patient, who reads it and writes back.
    patient = await ui.page(lang=lang, javascript=javascript)
    await ui.login_patient(patient, PATIENT)
    await reload_until(patient, f"{ui.gateway}/conversations/{conversation_id}",
                       f"#thread:has-text('{answer}')")
    await patient.locator("#reply-text").fill(f"Tack! {follow}")
    await patient.locator("form[action$='/reply'] button[type=submit]").click()
    await expect(patient.locator("#thread")).to_contain_text(follow)

    # The clinician reads the follow-up, answers it and closes the case.
    await reload_until(clin, f"{ui.gateway}/staff/messages/{message_id}",
                       "#case-status:has-text('" + ("Tilldelat" if lang == "sv" else "Assigned")
                       + "')")
    await clin.locator("#open-button").click()
    await expect(clin.locator("#thread")).to_contain_text(follow)
    await clin.locator("#answer-text").fill("Bra, då avslutar vi ärendet.")
    await clin.locator("#send-close").click()
    await expect(clin.locator("#done")).to_be_visible()
    await expect(clin.locator("#case-status")).to_contain_text(
        "Avslutat" if lang == "sv" else "Closed")

    # Every explicit "Open message" left exactly one access record: the admin's, and the
    # clinician's two. Page loads (GET) left none.
    async def opened_records():
        records = await inspect.audit_records(stack, conversation_id, {"messaging.message_opened"})
        found = [r for r in records or [] if r["event_type"].startswith("messaging.message_opened")]
        return found if len(found) >= 3 else None
    assert len(await eventually(opened_records, timeout=60, what="access records")) == 3


async def _personal_template(ui, page: Page, lang: str) -> None:
    await _page(ui, page, "/staff/templates", f"staff-templates-{lang}", lang)
    title = f"Min mall {uuid.uuid4().hex[:6]}"
    await page.locator("#save-template").click()  # empty: errors next to the fields
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await _seen(ui, page, f"staff-templates-errors-{lang}", lang)
    await page.locator("#template-title").fill(title)
    await page.locator("#template-text").fill("Hej! Hälsningar {clinician_name}, {unit_name}")
    await page.locator("#save-template").click()
    row = page.locator("#templates tr", has_text=title)
    await expect(row).to_be_visible()
    await row.locator("button").click()
    await expect(page.locator("#templates tr", has_text=title)).to_have_count(0)


async def test_assign_with_the_keyboard_only(stack, ui, tmp_path) -> None:
    team = await new_team(stack, tmp_path)
    message_id, _ = await _send(ui, team, "Tangentbordstest")
    nurse = team.name(team.nurse)
    admin = await ui.page(lang="en")
    await login_staff(ui, admin, team.admin, f"/staff/messages/{message_id}")
    await _assignable(ui, admin, message_id, nurse)

    async def focused() -> str:
        return await admin.evaluate("document.activeElement && document.activeElement.id")

    for _n in range(80):  # from the top of the page: the skip link, the menu, the forms ...
        await admin.keyboard.press("Tab")
        if await focused() == "assignee":
            break
    else:
        raise AssertionError("the assign list is not reachable with Tab")
    for _n in range(20):
        label = await admin.evaluate(
            "(s => s.options[s.selectedIndex].text)(document.getElementById('assignee'))")
        if label == nurse:
            break
        await admin.keyboard.press("ArrowDown")
    else:
        raise AssertionError("the nurse cannot be chosen with the arrow keys")
    await admin.keyboard.press("Tab")
    assert await focused() == "assign-button"
    await admin.keyboard.press("Enter")
    await expect(admin.locator("#done")).to_be_visible()
    await expect(admin.locator("#holder")).to_have_text(nurse)
    await ui.shot(admin, "staff-keyboard-assigned")

"""Attachments, the change of care centre and the archive in real headless Chromium, in
Swedish (JavaScript off) and English (on): the administrator accepts a patient's change of
care centre; a clinician's answer refuses a renamed executable next to the file field and
sends a record extract (PDF); the patient sees that they are listed at the unit, downloads
the extract, replies with a photo, archives the conversation, finds it in the archive
folder and moves it back. Every page: screenshot, one language, axe."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from tests import samplefiles
from tests.e2e.support import Person, eventually
from tests.e2e.ui.staff_flow import (
    Team,
    assert_one_language,
    check_here,
    login_staff,
    new_team,
    reload_until,
)

pytestmark = pytest.mark.e2e
PATIENT = "198510309035"  # Hemlis: in the register; its listing moves to each test's unit


async def _seen(ui, page: Page, name: str, lang: str) -> None:
    await check_here(ui, page, name)
    await assert_one_language(page, lang)


async def _request_and_assign(ui, team: Team) -> tuple[str, str]:
    """The patient's change-of-care-centre request, assigned to the doctor (by API: the
    distribution pages have their own browser test)."""
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        patient = await Person.login(http, personnummer=PATIENT)
        sent = await patient.submit(team.unit.unit_id, "change_care_centre")
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["message_id"]
        admin = await Person.login(http, hsa_id=team.admin)

        async def assigned():
            r = await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                 json={"clinician_id": team.doctor})
            return r.status_code == 204
        await eventually(assigned, timeout=60, what="the request assigned to the doctor")
    return message_id, sent.json()["conversation_id"]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_files_listing_and_archive_in_the_browser(stack, ui, tmp_path, lang: str,
                                                        javascript: bool) -> None:
    team = await new_team(stack, tmp_path, ["change_care_centre", "book_appointment"])
    message_id, conversation_id = await _request_and_assign(ui, team)
    pdf, elf, jpeg = tmp_path / "journalkopia.pdf", tmp_path / "journal.pdf", \
        tmp_path / "utslag.jpg"
    pdf.write_bytes(samplefiles.pdf())
    elf.write_bytes(samplefiles.elf())
    jpeg.write_bytes(samplefiles.jpeg_with_gps())

    # The administrator opens the request and accepts the change of care centre.
    admin = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, admin, team.admin, f"/staff/messages/{message_id}")
    await admin.locator("#open-button").click()
    await expect(admin.locator("#accept-listing")).to_be_visible()
    await _seen(ui, admin, f"staff-listing-request-{lang}", lang)
    await admin.locator("#accept-listing").click()
    await expect(admin.locator("#done")).to_be_visible()
    await _seen(ui, admin, f"staff-listing-accepted-{lang}", lang)

    # The doctor answers: a renamed executable is refused next to the file field, then the
    # record extract goes with the answer.
    doctor = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, doctor, team.doctor, f"/staff/messages/{message_id}")
    await doctor.locator("#open-button").click()
    await expect(doctor.locator("#listing-accepted")).to_be_visible()
    await doctor.locator("#answer-text").fill("Välkommen! Journalkopian är bifogad.")
    await doctor.locator("#files").set_input_files(str(elf))
    await doctor.locator("#send-answer").click()
    await expect(doctor.locator("#files-error")).to_contain_text("journal.pdf")
    await _seen(ui, doctor, f"staff-answer-file-refused-{lang}", lang)
    await doctor.locator("#files").set_input_files(str(pdf))
    await doctor.locator("#send-answer").click()
    await expect(doctor.locator("#done")).to_be_visible()

    # The patient: listed at the unit, downloads the extract, replies with a photo.
    patient = await ui.page(lang=lang, javascript=javascript)
    await ui.login_patient(patient, PATIENT)
    url = f"{ui.gateway}/conversations/{conversation_id}"
    await reload_until(patient, url, "#thread a:has-text('journalkopia.pdf')")
    await expect(patient.locator("#listing-changed")).to_be_visible()
    await _seen(ui, patient, f"patient-conversation-files-{lang}", lang)
    async with patient.expect_download() as download:
        await patient.locator("#thread a:has-text('journalkopia.pdf')").click()
    assert (await (await download.value).path()).read_bytes() == pdf.read_bytes()
    await patient.locator("#reply-text").fill("Tack! Här är en bild.")
    await patient.locator("#files").set_input_files(str(jpeg))
    await patient.locator("form[action$='/reply'] button[type=submit]").click()
    await expect(patient.locator("#thread")).to_contain_text("utslag.jpg")

    # The archive: out of the inbox, into the archive folder, and back.
    await patient.locator("#archive-button").click()
    await expect(patient.locator("#archived-done")).to_be_visible()
    await _seen(ui, patient, f"patient-archived-banner-{lang}", lang)
    await patient.goto(f"{ui.gateway}/archived")
    await expect(patient.locator(f"#c-{conversation_id}")).to_be_visible()
    await _seen(ui, patient, f"patient-archive-folder-{lang}", lang)
    await patient.goto(f"{ui.gateway}/inbox")
    await expect(patient.locator(f"#c-{conversation_id}")).to_have_count(0)
    await patient.goto(url)
    await patient.locator("#archive-button").click()  # now "move back to the inbox"
    await expect(patient.locator("#archived-done")).to_be_visible()
    await patient.goto(f"{ui.gateway}/inbox")
    await expect(patient.locator(f"#c-{conversation_id}")).to_be_visible()

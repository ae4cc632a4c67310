"""Attachments, the change of care centre and the archive in real headless Chromium, in
Swedish (JavaScript off) and English (on): the administrator accepts a patient's change of
care centre; a clinician's answer refuses a renamed executable next to the file field and
sends a record extract (PDF); the patient sees that they are listed at the unit, downloads
the extract, accepts the time the doctor proposed, replies with a photo, archives the
conversation, finds it in the archive folder and moves it back. Every page: screenshot, one language, axe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from tests import samplefiles
from tests.e2e.support import SEED, Person, eventually, staff_of
from tests.e2e.ui.staff_flow import assert_one_language, check_here, login_staff, reload_until

pytestmark = pytest.mark.e2e
PATIENT = "198510309035"  # Hemlis: in the register; its listing moves to the unit below
UNIT = SEED["care_units"][1]["unit_id"]  # TEST2: its staff are known from the start
ADMIN = staff_of(UNIT, "message_administrator")[0]["hsa_id"]
DOCTOR = staff_of(UNIT, "clinician")[0]["hsa_id"]


async def _seen(ui, page: Page, name: str, lang: str) -> None:
    await check_here(ui, page, name)
    await assert_one_language(page, lang)


async def _request_and_assign(ui) -> tuple[str, str]:
    """The patient's change-of-care-centre request, assigned to the doctor (by API: the
    distribution pages have their own browser test)."""
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        patient = await Person.login(http, personnummer=PATIENT)
        sent = await patient.submit(UNIT, "change_care_centre")
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["message_id"]
        admin = await Person.login(http, hsa_id=ADMIN)
        doctor = await Person.login(http, hsa_id=DOCTOR)  # its subject is the staff id

        answers: list[str] = []

        async def assigned():
            r = await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                 json={"clinician_id": doctor.id})
            answers[:] = [f"{r.status_code} {r.text}"]
            return r.status_code == 204
        try:
            await eventually(assigned, timeout=90, what="the request assigned to the doctor")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the unit answered {answers}") from exc
    return message_id, sent.json()["conversation_id"]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_files_listing_and_archive_in_the_browser(stack, ui, tmp_path, lang: str,
                                                        javascript: bool) -> None:
    message_id, conversation_id = await _request_and_assign(ui)
    pdf, elf, jpeg = tmp_path / "journalkopia.pdf", tmp_path / "journal.pdf", \
        tmp_path / "utslag.jpg"
    pdf.write_bytes(samplefiles.pdf())
    elf.write_bytes(samplefiles.elf())
    jpeg.write_bytes(samplefiles.jpeg_with_gps())

    # The administrator opens the request and accepts the change of care centre.
    admin = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, admin, ADMIN, f"/staff/messages/{message_id}")
    await admin.locator("#open-button").click()
    await expect(admin.locator("#accept-listing")).to_be_visible()
    await _seen(ui, admin, f"staff-listing-request-{lang}", lang)
    await admin.locator("#accept-listing").click()
    await expect(admin.locator("#done")).to_be_visible()
    await _seen(ui, admin, f"staff-listing-accepted-{lang}", lang)

    # The doctor answers: a renamed executable is refused next to the file field, then the
    # record extract goes with the answer.
    doctor = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, doctor, DOCTOR, f"/staff/messages/{message_id}")
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

    # The doctor proposes a time for the first visit (a date in the past is refused).
    await doctor.locator("#open-button").click()
    await doctor.locator("#appointment-date").fill("2020-01-02")
    await doctor.locator("#appointment-time").fill("10:30")
    await doctor.locator("#propose-time").click()
    await expect(doctor.locator("#appointment-date-error")).to_be_visible()
    await _seen(ui, doctor, f"staff-appointment-refused-{lang}", lang)
    day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    await doctor.locator("#appointment-date").fill(day)
    await doctor.locator("#appointment-time").fill("10:30")
    await doctor.locator("#propose-time").click()
    await expect(doctor.locator("#done")).to_be_visible()

    # The patient: listed at the unit, downloads the extract, replies with a photo.
    patient = await ui.page(lang=lang, javascript=javascript)
    await ui.login_patient(patient, PATIENT)
    url = f"{ui.gateway}/conversations/{conversation_id}"
    await reload_until(patient, url, "#thread a:has-text('journalkopia.pdf')")
    await reload_until(patient, url, "#appointments button[id^=accept-]")
    await expect(patient.locator("#listing-changed")).to_be_visible()
    await _seen(ui, patient, f"patient-conversation-files-{lang}", lang)
    await patient.locator("#appointments button[id^=accept-]").click()
    await expect(patient.locator("#appointment-done")).to_be_visible()
    await expect(patient.locator("#appointments button[id^=cancel-]")).to_be_visible()
    await _seen(ui, patient, f"patient-appointment-booked-{lang}", lang)
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

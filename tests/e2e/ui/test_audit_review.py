"""The audit pages added for issue 9 in a real browser, Swedish without JavaScript and
English with it: the patient's "Who has read my messages" (names and professions of the staff
who opened their message), the auditor's search by patient (personnummer) with its CSV and
FHIR exports, and the review queue where a rule-selected read is marked reviewed with a note.
axe and a screenshot on every page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.support import SEED, Person, eventually, staff_of
from tests.e2e.ui.harness import assert_accessible
from tests.e2e.ui.staff_pages import login_staff

pytestmark = pytest.mark.e2e
UNIT = SEED["care_units"][0]["unit_id"]
AUDITOR = staff_of(UNIT, "auditor")[0]["hsa_id"]
ADMIN = staff_of(UNIT, "message_administrator")[0]
DOCTOR = staff_of(UNIT, "clinician", "doctor")[0]
PATIENT = SEED["patients"][4]["personnummer"]
WORDS = {"sv": {"title": "Vem har läst mina meddelanden", "doctor": "Läkare",
                "search": "Sök", "mark": "Markera som granskad", "rule": "Inte tilldelat"},
         "en": {"title": "Who has read my messages", "doctor": "Doctor", "search": "Search",
                "mark": "Mark as reviewed", "rule": "Not assigned"}}


async def a_read_of_someone_elses_message(stack) -> str:
    """The patient writes; the administrator opens it, gives it to the doctor, the doctor
    opens it, and the administrator opens it once more (selected for review)."""
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as http:
        patient = await Person.login(http, personnummer=PATIENT)
        admin = await Person.login(http, hsa_id=ADMIN["hsa_id"])
        doctor = await Person.login(http, hsa_id=DOCTOR["hsa_id"])
        sent = await patient.submit(UNIT, "renew_prescription", text="granskning i webben")
        message = sent.json()["message_id"]

        async def opened():
            r = await admin.unit("POST", f"/v1/messages/{message}/open")
            return r.status_code == 200
        await eventually(opened, timeout=60, what="the message at the unit")

        async def assigned():
            r = await admin.unit("POST", f"/v1/messages/{message}/assign",
                                 json={"clinician_id": doctor.id})
            return r.status_code == 204
        await eventually(assigned, timeout=60, what="the assignment")
        assert (await doctor.unit("POST", f"/v1/messages/{message}/open")).status_code == 200
        assert (await admin.unit("POST", f"/v1/messages/{message}/open")).status_code == 200
        return admin.id


@pytest.fixture
async def admin_id(stack) -> str:  # a fresh read per test: each run marks one reviewed
    return await a_read_of_someone_elses_message(stack)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_patient_sees_who_read_their_messages(ui, admin_id, lang, javascript) -> None:
    words = WORDS[lang]
    page = await ui.page(lang=lang, javascript=javascript)
    await ui.login_patient(page, PATIENT, lang=lang)
    await page.get_by_role("link", name=words["title"]).first.click()
    doctor = f"{DOCTOR['given_name']} {DOCTOR['family_name']}"

    async def listed():  # the audit log may be catching up on earlier tests' events
        await page.goto(ui.gateway + "/access-log")
        return doctor in await page.locator("#accesses").inner_text()
    await eventually(listed, timeout=300, what="the doctor's read listed")
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
    await expect(page.locator("#accesses")).to_contain_text(doctor)
    await expect(page.locator("#accesses")).to_contain_text(words["doctor"])
    await expect(page.locator("#accesses")).to_contain_text(ADMIN["family_name"])
    await ui.check(page, f"patient-access-log-{lang}", docs=lang == "sv")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_auditor_searches_exports_and_reviews(ui, admin_id, lang, javascript) -> None:
    words = WORDS[lang]
    page = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, page, AUDITOR, "/auditor/search")

    async def found():  # a search is one answer: searched again until the reads are in
        await page.goto(ui.gateway + "/auditor/search")
        await page.locator("#patient").fill(PATIENT)
        await page.locator("#unit").select_option(UNIT)
        await page.get_by_role("button", name=words["search"], exact=True).click()
        await page.wait_for_url(re.compile(r".*[?&]patient="))  # the answer, not the form
        hits = page.locator("#hits")
        text = await hits.inner_text() if await hits.count() else ""
        return "messaging.message_opened.v1" in text and ADMIN["hsa_id"] in text
    await eventually(found, timeout=300, what="the reads in the auditor's search")
    await expect(page.locator("#hits")).to_contain_text("messaging.message_opened.v1")
    await expect(page.locator("#hits")).to_contain_text(ADMIN["hsa_id"])
    await ui.check(page, f"auditor-find-{lang}", docs=lang == "sv")

    csv_link = await page.locator("#export-csv").get_attribute("href")
    csv = await page.request.get(ui.gateway + csv_link)
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert "messaging.message_opened.v1" in await csv.text()
    assert PATIENT not in await csv.text()
    fhir = await page.request.get(ui.gateway + await page.locator("#export-fhir")
                                  .get_attribute("href"))
    bundle = await fhir.json()
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]

    async def queued():
        await page.goto(ui.gateway + "/auditor/reviews")
        cards = page.locator("#queue li").filter(has_text=ADMIN["hsa_id"]).filter(
            has_text=words["rule"])
        return cards if await cards.count() else None
    cards = await eventually(queued, timeout=300, what="the read in the review queue")
    await ui.check(page, f"auditor-reviews-{lang}", docs=lang == "sv")
    card = cards.first
    seq = (await card.get_attribute("id")).removeprefix("review-")
    await card.locator("textarea").fill("Kontrollerat: utredning av klagomål.")
    await card.get_by_role("button", name=words["mark"]).click()
    await expect(page.locator(f"#review-{seq}")).to_have_count(0)
    await page.goto(ui.gateway + "/auditor/reviews?reviewed=true")
    await expect(page.locator(f"#review-{seq}")).to_contain_text("utredning av klagomål")
    await assert_accessible(page)

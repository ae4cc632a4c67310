"""File uploads in real headless Chromium, in Swedish (JavaScript off) and English (on): the
form designer imports a FHIR Questionnaire file larger than the gateway's general 64 KiB
body cap (a file that is not JSON, or too large, is refused next to the file field) and
sees the new draft; a patient sends an e-service form with a PDF attached (a renamed
executable is refused next to the file field first) and the unit's administrator sees the
file and downloads it. Every page: screenshot, one language, axe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests import samplefiles
from tests.e2e.support import SEED, Person, staff_of
from tests.e2e.ui.allforms import UNIT, publish_every_type_form
from tests.e2e.ui.staff_flow import login_staff, reload_until
from tests.e2e.ui.staff_pages import staffed_unit
from tests.e2e.ui.test_patient import fill_every_type, open_every_type_form
from tests.unit.forms.corpus import load

pytestmark = pytest.mark.e2e
GENERAL_CAP = 64 * 1024
ADMIN = staff_of(UNIT, "message_administrator")[0]["hsa_id"]
WORDS = {
    "sv": {"import": "Importera", "imported": "Formuläret blev utkastet till ett nytt formulär.",
           "edit": "Redigera och publicera utkastet", "editor": "Redigera formuläret",
           "send": "Skicka"},
    "en": {"import": "Import", "imported": "The Questionnaire became a new form's draft.",
           "edit": "Edit and publish the draft", "editor": "Edit the form", "send": "Send"},
}


def big_questionnaire(path: Path) -> Path:
    """A corpus Questionnaire padded with more questions until its file is over 64 KiB."""
    resource = load("sdc-questionnaire-anc-quick-check.json")
    n = 0
    while len(json.dumps(resource)) <= GENERAL_CAP + 4096:
        n += 1
        resource["item"].append({"linkId": f"extra-{n}", "type": "string", "text": (
            f"Tilläggsfråga {n}: beskriv hur du har mått den senaste veckan. " * 30).strip()})
    path.write_text(json.dumps(resource))
    return path


@pytest.mark.timeout(600)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_designer_imports_a_questionnaire_file_over_64_kib(
        stack, ui, tmp_path, lang: str, javascript: bool) -> None:
    words = WORDS[lang]
    unit, designer = await staffed_unit(stack, tmp_path, ["form_designer"])
    page = await ui.page(lang=lang, javascript=javascript)
    await login_staff(ui, page, designer, "/designer")
    await ui.visit(page, f"/designer/units/{unit}/import", f"designer-import-file-{lang}")
    await page.locator("#service_type").select_option("change_care_centre")

    # Not JSON (Swedish) / too large (English): refused next to the file field.
    if lang == "sv":
        wrong = tmp_path / "formular.json"
        wrong.write_bytes(samplefiles.pdf())
        refused = "formular.json är ingen JSON-fil"
    else:
        wrong = tmp_path / "huge.json"
        wrong.write_bytes(b" " * (1024 * 1024 + 1))  # over 1 MiB, within the route's cap
        refused = "huge.json is too large"
    await page.locator("#questionnaire_file").set_input_files(str(wrong))
    await page.get_by_role("button", name=words["import"], exact=True).click()
    await expect(page.locator("#questionnaire_file-error")).to_contain_text(refused)
    await ui.check(page, f"designer-import-file-refused-{lang}")

    big = big_questionnaire(tmp_path / "anc-stor.json")
    assert big.stat().st_size > GENERAL_CAP
    await page.locator("#service_type").select_option("change_care_centre")
    await page.locator("#questionnaire_file").set_input_files(str(big))
    await page.get_by_role("button", name=words["import"], exact=True).click()
    await expect(page.locator("#imported-message")).to_have_text(words["imported"])
    await ui.check(page, f"designer-import-file-done-{lang}")
    await page.get_by_role("link", name=words["edit"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["editor"])
    await expect(page.locator("#item-extra-1")).to_contain_text("Tilläggsfråga 1")
    await ui.check(page, f"designer-import-file-draft-{lang}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("lang, javascript", [("sv", False), ("en", True)])
async def test_patient_sends_an_e_service_form_with_a_pdf_and_the_unit_sees_it(
        stack, ui, tmp_path, lang: str, javascript: bool) -> None:
    await publish_every_type_form(ui.gateway)
    personnummer = SEED["patients"][4 if lang == "sv" else 5]["personnummer"]
    pdf, elf = tmp_path / f"remiss-{lang}.pdf", tmp_path / "remiss.pdf"
    pdf.write_bytes(samplefiles.pdf())
    elf.write_bytes(samplefiles.elf())

    page = await ui.page(lang=lang, javascript=javascript)
    await ui.login_patient(page, personnummer)
    await open_every_type_form(ui, page, lang)
    if javascript:  # chosen first: htmx redraws the form on each condition, the file stays
        await page.locator("#files").set_input_files(str(elf))
    await fill_every_type(page, lang, javascript, f"UPLOAD-{lang}")
    if not javascript:  # the update button reloads the page, so the file is chosen last
        await page.locator("#files").set_input_files(str(elf))
    await page.get_by_role("button", name=WORDS[lang]["send"], exact=True).click()
    await expect(page.locator("#files-error")).to_contain_text("remiss.pdf")
    await expect(page.locator(".govuk-error-summary a[href='#files']")).to_be_visible()
    await ui.check(page, f"patient-form-file-refused-{lang}")

    # The answers are kept; the PDF goes with the message.
    await expect(page.locator("#q-other_topic")).to_have_value("Röntgen")
    await page.locator("#files").set_input_files(str(pdf))
    await page.get_by_role("button", name=WORDS[lang]["send"], exact=True).click()
    await expect(page.locator("#sent-confirmation")).to_be_visible()
    match = re.search(r"#c-(.+)$", page.url)
    assert match, page.url
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=30) as http:
        patient = await Person.login(http, personnummer=personnummer)
        conversation = await patient.patient("GET", f"/v1/conversations/{match[1]}")
        assert conversation.status_code == 200, conversation.text
    message = conversation.json()["messages"][0]
    assert [a["filename"] for a in message["attachments"]] == [pdf.name]

    # The unit's administrator opens the message and downloads the file.
    admin = await ui.page(lang=lang, javascript=javascript)
    url = f"/staff/messages/{message['message_id']}"
    await login_staff(ui, admin, ADMIN, url)
    await reload_until(admin, ui.gateway + url, "#open-button")
    await admin.locator("#open-button").click()
    files = admin.locator(f"#files-{message['message_id']}")
    await expect(files).to_contain_text(pdf.name)
    await ui.check(admin, f"staff-message-with-patient-file-{lang}")
    async with admin.expect_download() as download:
        await files.get_by_role("button").first.click()
    assert (await (await download.value).path()).read_bytes() == pdf.read_bytes()

"""The form designer's pages in a real browser: with JavaScript off and in Swedish, a
designer starts a form from a template, edits the draft of an offered form (adds a question
and a follow-up shown only on "yes", moves them, texts in both languages), previews it in
Swedish and English and tries answers, publishes, and the patient mailbox then offers the
new version; changes the unit's e-services; retires the form. In English with JavaScript on:
editing through htmx, and importing FHIR Questionnaires (refused and accepted). axe and a
screenshot on every page."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.e2e.support import SEED, Person, eventually
from tests.e2e.ui.harness import assert_accessible
from tests.e2e.ui.staff_pages import login_staff, staffed_unit
from tests.unit.forms.corpus import load

pytestmark = pytest.mark.e2e
PATIENT = SEED["patients"][2]["personnummer"]


async def forms_ready(ui, page: Page, unit: str) -> None:
    """The unit's built-in forms are provisioned (asynchronously, from identity's event)."""
    async def ready() -> bool:
        await page.goto(f"{ui.gateway}/designer/units/{unit}")
        return await page.locator("#form-advice").count() == 1 and \
            await page.locator("#form-renew_prescription").count() == 1
    await eventually(ready, timeout=60, what="the unit's provisioned forms")


async def offers(patient: Person, unit: str) -> dict[str, dict]:
    r = await patient.patient("GET", f"/v1/units/{unit}/services")
    return {o["service_type"]: o for o in r.json()} if r.status_code == 200 else {}


async def item_order(page: Page, *, top_level: bool = False) -> list[str]:
    rows = page.locator("#draft-items tbody tr" + ("[data-depth='0']" if top_level else ""))
    ids = await rows.evaluate_all("rows => rows.map(r => r.id)")
    return [i.removeprefix("item-") for i in ids]


async def add_item(ui, page: Page, fields: dict[str, str], shot: str | None = None) -> None:
    await page.get_by_role("link", name="Lägg till en del").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lägg till en del")
    if shot:
        await ui.shot(page, shot)
        await assert_accessible(page)
    for selector, value in fields.items():
        if selector.startswith("select"):
            await page.locator(selector.split(" ", 1)[1]).select_option(value)
        elif value == "check":
            await page.locator(selector).check()
        else:
            await page.locator(selector).fill(value)
    await page.get_by_role("button", name="Spara delen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Redigera formuläret")


async def test_designer_edits_previews_publishes_offers_and_retires_without_javascript(
        stack, ui, tmp_path) -> None:
    unit, designer = await staffed_unit(stack, tmp_path, ["form_designer"])
    page = await ui.page(javascript=False)
    await login_staff(ui, page, designer, "/designer")
    await forms_ready(ui, page, unit)
    assert await page.title() == "Mottagningens formulär – Mina vårdkontakter"
    # The unit by its name from the staff catalogue, not its HSA-id.
    await expect(page.locator(".govuk-caption-l")).to_have_text("Vårdcentralen Formgivning")
    await ui.shot(page, "designer-forms-sv", docs=True)
    await assert_accessible(page)

    # A form from a template: its draft opens, and it can be published at once.
    await page.locator("#service_type").select_option("book_appointment")
    await page.get_by_role("button", name="Starta formuläret").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Redigera formuläret")
    await expect(page.locator("#form-status")).to_have_text("Utkast, aldrig publicerat")
    await page.get_by_role("button", name="Publicera utkastet").click()
    await expect(page.locator("#done-message")).to_have_text("Formuläret publicerades.")

    # Edit the offered advice form's draft.
    await page.locator("#form-advice a").first.click()
    await ui.shot(page, "designer-editor-sv", docs=True)
    await assert_accessible(page)
    template_ids = await item_order(page)
    last = (await item_order(page, top_level=True))[-1]  # the template's last top-level item
    at = template_ids.index(last)
    await add_item(ui, page, {"#link_id": "hosta", "select #type": "boolean",
                              "#text_sv": "Har du hosta?", "#text_en": "Do you have a cough?",
                              "#required": "check"}, shot="designer-item-new-sv")
    await add_item(ui, page, {"#link_id": "hosta_dagar", "select #type": "integer",
                              "#text_sv": "Hur många dagar har du hostat?",
                              "#text_en": "For how many days have you coughed?",
                              "select #cond-question-1": "hosta",
                              "select #cond-operator-1": "=", "#cond-answer-1": "ja"})
    assert await item_order(page) == [*template_ids, "hosta", "hosta_dagar"]

    # Move both up past the template's last item; the follow-up above its question is refused.
    await page.locator("form[action$='/items/hosta/up'] button").click()
    await page.locator("form[action$='/items/hosta_dagar/up'] button").click()
    assert await item_order(page) == [*template_ids[:at], "hosta", "hosta_dagar",
                                      *template_ids[at:]]
    await page.locator("form[action$='/items/hosta_dagar/up'] button").click()
    await expect(page.locator("#problems")).to_contain_text("enableWhen must refer to an earlier")
    await ui.shot(page, "designer-editor-refused-sv")
    await assert_accessible(page)
    assert await item_order(page) == [*template_ids[:at], "hosta", "hosta_dagar",
                                      *template_ids[at:]]

    # Edit the condition's item again: the saved condition is shown.
    await page.locator("a[href$='/items/hosta_dagar']").click()
    await expect(page.locator("#cond-question-1")).to_have_value("hosta")
    await expect(page.locator("#cond-answer-1")).to_have_value("true")
    await ui.shot(page, "designer-item-edit-sv")
    await assert_accessible(page)
    await page.get_by_role("link", name="Tillbaka till formuläret").click()

    # Preview in Swedish: the follow-up appears once "yes" is chosen (no JavaScript).
    await page.get_by_role("link", name="Förhandsgranska på svenska").click()
    await expect(page.locator("html")).to_have_attribute("lang", "sv")  # retried: after the click
    await expect(page.get_by_text("Har du hosta?")).to_be_visible()
    assert await page.locator("#q-hosta_dagar").count() == 0
    await ui.shot(page, "designer-preview-sv", docs=True)
    await assert_accessible(page)
    await page.locator("#q-hosta").check()
    await page.get_by_role("button", name="Uppdatera formuläret med mina svar").click()
    await expect(page.locator("#q-hosta_dagar")).to_be_visible()
    await page.get_by_role("button", name="Kontrollera svaren").click()
    await expect(page.locator("#problems")).to_be_visible()  # the template's required fields
    await ui.shot(page, "designer-preview-checked-sv")
    await assert_accessible(page)

    # Preview in English: the whole page in English.
    await page.get_by_role("link", name="Tillbaka till formuläret").click()
    await page.get_by_role("link", name="Förhandsgranska på engelska").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")  # the page may still load
    assert await page.title() == "Preview of the form – Mina vårdkontakter"
    await expect(page.get_by_text("Do you have a cough?")).to_be_visible()
    await ui.shot(page, "designer-preview-en")
    await assert_accessible(page)
    await page.get_by_role("link", name="Back to the form").click()

    # Publish: the patient mailbox offers version 2, with the new questions.
    await page.get_by_role("button", name="Publicera utkastet").click()
    await expect(page.locator("#done-message")).to_have_text("Formuläret publicerades.")
    await expect(page.locator("#form-advice")).to_contain_text("Publicerat, version 2")
    async with httpx.AsyncClient(base_url=ui.gateway, timeout=20) as http:
        patient = await Person.login(http, personnummer=PATIENT)

        async def advice_v2():
            offer = (await offers(patient, unit)).get("advice", {})
            return offer if offer.get("form_version") == 2 else None
        offer = await eventually(advice_v2, timeout=60, what="version 2 in the patient mailbox")
        version = await patient.patient("GET", f"/v1/units/{unit}/services")
        assert version.status_code == 200
        published = await http.get(
            f"/api/forms/v1/forms/{offer['form_id']}/versions/2",
            params={"format": "native"}, headers=patient._headers("forms"))
        items = {i["link_id"]: i for i in published.json()["items"]}
        assert items["hosta_dagar"]["enable_when"] == [
            {"question": "hosta", "operator": "=", "answer": True, "system": None}]
        assert items["hosta"]["text"]["en"] == "Do you have a cough?"

        # The unit's e-services: offer the new form to everyone; renewing prescriptions
        # only to the unit's listed patients.
        await ui.visit(page, f"/designer/units/{unit}/services", "designer-services-sv",
                       docs=True)
        await page.locator("#offer-book_appointment-on").check()
        await page.locator("#audience-renew_prescription").select_option("listed_patients")
        await page.get_by_role("button", name="Spara e-tjänsterna").click()
        await expect(page.locator("#saved-message")).to_have_text(
            "Mottagningens e-tjänster sparades.")
        await expect(page.locator("#audience-renew_prescription")).to_have_value(
            "listed_patients")
        await expect(page.locator("#offer-book_appointment-on")).to_be_checked()
        await assert_accessible(page)

        async def changed():
            now = await offers(patient, unit)
            return now.get("book_appointment", {}).get("form_version") == 1
        await eventually(changed, timeout=60, what="the new offers in the patient mailbox")

        # Retire the advice form: no longer offered.
        await page.goto(f"{ui.gateway}/designer/units/{unit}")
        await page.locator("#form-advice a").first.click()
        await page.get_by_role("button", name="Avveckla formuläret").click()
        await expect(page.locator("#done-message")).to_contain_text("avvecklades")
        await expect(page.locator("#form-advice")).to_contain_text("Avvecklat")
        await ui.shot(page, "designer-forms-retired-sv")
        await assert_accessible(page)

        async def retired():
            return "advice" not in await offers(patient, unit)
        await eventually(retired, timeout=60, what="the retired form withdrawn")


async def test_designer_in_english_with_javascript_edits_and_imports_fhir(
        stack, ui, tmp_path) -> None:
    unit, designer = await staffed_unit(stack, tmp_path, ["form_designer"])
    page = await ui.page(lang="en")
    await login_staff(ui, page, designer, "/designer")
    await forms_ready(ui, page, unit)
    assert await page.title() == "The unit's forms – Mina vårdkontakter"
    await ui.shot(page, "designer-forms-en")
    await assert_accessible(page)

    # htmx: moving swaps the item list in place.
    await page.locator("#form-advice a").first.click()
    before = await item_order(page, top_level=True)
    await page.locator(f"form[action$='/items/{before[0]}/down'] button").click()
    await expect(page.locator("#draft-items tbody tr").first).to_have_id(f"item-{before[1]}")
    assert (await item_order(page, top_level=True))[:2] == [before[1], before[0]]
    await ui.shot(page, "designer-editor-en")
    await assert_accessible(page)

    # Edit an existing item's English text.
    await page.locator(f"a[href$='/items/{before[0]}']").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Edit an item")
    await page.locator("#text_en").fill("Changed English wording")
    await ui.shot(page, "designer-item-edit-en")
    await assert_accessible(page)
    await page.get_by_role("button", name="Save the item").click()
    await expect(page.locator(f"#item-{before[0]}")).to_contain_text("Changed English wording")

    # Import: a refused Questionnaire shows what is not supported, in English.
    await ui.visit(page, f"/designer/units/{unit}/import", "designer-import-en", docs=True)
    await page.locator("#service_type").select_option("change_care_centre")
    await page.locator("#questionnaire").fill(
        json.dumps(load("sdc-questionnaire-sdc-profile-example-PHQ9.json")))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#import-problems")).to_contain_text("not supported")
    await ui.shot(page, "designer-import-refused-en")
    await assert_accessible(page)

    # ... and a supported one becomes the new form's draft, with warnings to check.
    await page.locator("#questionnaire").fill(
        json.dumps(load("sdc-questionnaire-anc-quick-check.json")))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#imported-message")).to_have_text(
        "The Questionnaire became a new form's draft.")
    await expect(page.locator("#import-warnings li").first).to_be_visible()
    await ui.shot(page, "designer-import-done-en")
    await assert_accessible(page)
    await page.get_by_role("link", name="Edit and publish the draft").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Edit the form")
    await page.get_by_role("button", name="Publish the draft").click()
    await expect(page.locator("#form-change_care_centre")).to_contain_text("Published, version 1")

"""Forms in the message workflow: messages keep the exact form version they were written
against, and a unit that stops offering an e-service cannot receive it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import SEED, Person, all_pages, eventually, sample_answers, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][2]["unit_id"]
SERVICE = "change_care_centre"
NEW_WORDING = "Ny formulering av första frågan"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


async def offers(patient: Person) -> dict[str, dict]:
    r = await patient.patient("GET", f"/v1/units/{UNIT}/services")
    return {o["service_type"]: o for o in r.json()}


async def test_edited_form_keeps_old_messages_and_retired_service_is_refused(stack, http):
    patient = await Person.login(http, personnummer=SEED["patients"][1]["personnummer"])
    designer = await Person.login(http, hsa_id=staff_of(UNIT, "form_designer")[0]["hsa_id"])
    admin = await Person.login(http, hsa_id=staff_of(UNIT, "message_administrator")[0]["hsa_id"])

    first = await patient.submit(UNIT, SERVICE, marker="v1-answer")
    assert first.status_code == 201, first.text
    v1 = (await offers(patient))[SERVICE]

    # The designer rewords the first question and publishes a new version.
    draft = (await designer.forms("GET", f"/v1/forms/{v1['form_id']}/draft",
                                  params={"format": "fhir"})).json()
    draft["item"][0]["text"] = NEW_WORDING
    edited = await designer.forms("PUT", f"/v1/forms/{v1['form_id']}/draft",
                                  json={"questionnaire": draft})
    assert edited.status_code == 200, edited.text
    published = await designer.forms("POST", f"/v1/forms/{v1['form_id']}/publish")
    assert published.status_code == 201 and published.json()["version"] == v1["form_version"] + 1

    # Patients now get the new version; answers to the old one are refused as outdated.
    await eventually(lambda: _offer_version(patient, published.json()["version"]),
                     what="the new form version in the patient mailbox")
    stale = await patient.patient("POST", "/v1/conversations", json={
        "care_unit_id": UNIT, "service_type": SERVICE,
        "form": {"form_id": v1["form_id"], "version": v1["form_version"]},
        "answers": sample_answers(SERVICE)})
    assert stale.status_code == 409

    # The old message still refers to, and renders with, the version it was written against.
    message_id = first.json()["message_id"]
    await eventually(lambda: _in_inbox(admin, message_id), what="first message in the inbox")
    message = (await admin.unit("POST", f"/v1/messages/{message_id}/open")).json()
    assert message["form"] == {"form_id": v1["form_id"], "version": v1["form_version"]}
    old = await admin.forms("POST", f"/v1/forms/{v1['form_id']}/versions/"
                            f"{v1['form_version']}/render-answers", json=message["answers"])
    new = await admin.forms("POST", f"/v1/forms/{v1['form_id']}/versions/"
                            f"{published.json()['version']}/render-answers",
                            json=message["answers"])
    assert "v1-answer" in old.text and NEW_WORDING not in old.text
    assert NEW_WORDING in new.text

    # The unit stops offering the e-service: the patient mailbox refuses it.
    retired = await designer.forms("POST", f"/v1/forms/{v1['form_id']}/retire")
    assert retired.status_code == 200, retired.text
    await eventually(lambda: _not_offered(patient), what="the service withdrawn")
    refused = await patient.patient("POST", "/v1/conversations", json={
        "care_unit_id": UNIT, "service_type": SERVICE, "text": "Jag vill byta.",
        "form": {"form_id": v1["form_id"], "version": published.json()["version"]},
        "answers": sample_answers(SERVICE)})
    assert refused.status_code == 422 and "does not offer" in refused.text


async def _offer_version(patient: Person, version: int) -> bool:
    return (await offers(patient)).get(SERVICE, {}).get("form_version") == version


async def _not_offered(patient: Person) -> bool:
    return SERVICE not in await offers(patient)


async def _in_inbox(admin: Person, message_id: str) -> bool:
    inbox = await all_pages(admin, f"/v1/units/{UNIT}/messages")
    return any(m["message_id"] == message_id for m in inbox)

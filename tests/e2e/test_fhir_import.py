"""FHIR Questionnaire import through the running stack (gateway -> forms with a designer's
real login and PostgreSQL): analysing a Bundle, importing a public SDC Questionnaire into a
unit's draft and validating answers against it, and exporting a patient's answers as a
QuestionnaireResponse that names the exact published form version."""

from __future__ import annotations

import httpx
import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from services.forms.domain.model import FormDefinition
from tests.e2e.support import SEED, Person, sample_answers, staff_of
from tests.unit.forms.answering import answer_all
from tests.unit.forms.corpus import load

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]["unit_id"]
SERVICE = "order_record_copy"
SUPPORTED = "sdc-questionnaire-anc-quick-check.json"
REFUSED = "sdc-questionnaire-sdc-profile-example-PHQ9.json"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


async def test_designer_imports_a_public_questionnaire_and_answers_export_as_fhir(stack, http):
    designer = await Person.login(http, hsa_id=staff_of(UNIT, "form_designer")[0]["hsa_id"])
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": load(SUPPORTED)}, {"resource": load(REFUSED)}]}
    analysis = await designer.forms("POST", "/v1/fhir/import?lang=sv", json=bundle)
    assert analysis.status_code == 200, analysis.text
    body = analysis.json()
    assert (body["importable"], body["refused"]) == (1, 1)
    assert "stöds inte" in body["forms"][1]["problems"][0]["message"]

    forms = (await designer.forms("GET", f"/v1/units/{UNIT}/forms")).json()
    form_id = next(f["form_id"] for f in forms if f["service_type"] == SERVICE)
    original = (await designer.forms("GET", f"/v1/forms/{form_id}/draft")).json()
    try:
        imported = await designer.forms("PUT", f"/v1/forms/{form_id}/draft/import",
                                        json=load(SUPPORTED))
        assert imported.status_code == 200, imported.text
        assert imported.json()["warnings"]
        draft = (await designer.forms("GET", f"/v1/forms/{form_id}/draft",
                                      params={"format": "fhir"})).json()
        assert draft["derivedFrom"][0].startswith(
            "http://hl7.org/fhir/uv/sdc/Questionnaire/anc-quick-check")
        native = (await designer.forms("GET", f"/v1/forms/{form_id}/draft")).json()
        answers = answer_all(FormDefinition.model_validate(native))
        checked = await designer.forms("POST", f"/v1/forms/{form_id}/draft/validate",
                                       json=answers)
        assert checked.status_code == 200 and checked.json()["valid"], checked.text
    finally:  # the unit's draft goes back to what it was (nothing was published)
        restored = await designer.forms("PUT", f"/v1/forms/{form_id}/draft",
                                        json={"definition": original})
        assert restored.status_code == 200, restored.text

    patient = await Person.login(http, personnummer=SEED["patients"][0]["personnummer"])
    offers = {o["service_type"]: o for o in (
        await patient.forms("GET", f"/v1/units/{UNIT}/services")).json()}
    version = offers[SERVICE]["version"]
    exported = await patient.forms(
        "POST", f"/v1/forms/{form_id}/versions/{version}/questionnaire-response",
        json=sample_answers(SERVICE))
    assert exported.status_code == 200, exported.text
    assert exported.json()["questionnaire"].endswith(f"/Questionnaire/{form_id}|{version}")
    QuestionnaireResponse.model_validate(exported.json())

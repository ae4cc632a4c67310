"""The FHIR import API and QuestionnaireResponse export through FastAPI's TestClient (fakes
as in test_api): analysis, creating and replacing a form from a Questionnaire, refusals with
what and where in the designer's language, and answers referring to the exact version."""

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from services.forms.bootstrap import create_app
from services.forms.settings import FormsSettings
from tests.unit.forms.corpus import MANIFEST, load
from tests.unit.forms.fakes import FormsDatabase
from tests.unit.forms.test_api import BASE, FakeVerifier, as_, new_form


@pytest.fixture
def client(tmp_path) -> TestClient:
    app = create_app(FormsSettings(environment="test"))
    app.state.forms = FormsDatabase(tmp_path / "forms.db").context(BASE)
    app.state.token_verifier = FakeVerifier()
    return TestClient(app)  # no lifespan: nothing connects

SUPPORTED = "sdc-questionnaire-anc-quick-check.json"
REFUSED = "sdc-questionnaire-sdc-profile-example-PHQ9.json"


def test_analysis_reports_importable_and_refused_forms_of_a_bundle(client):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": load(SUPPORTED)}, {"resource": load(REFUSED)}]}
    r = client.post("/v1/fhir/import?lang=en", json=bundle, headers=as_("designer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["importable"], body["refused"]) == (1, 1)
    ok, refused = body["forms"]
    assert ok["status"] == "importable" and ok["definition"]["items"] and not ok["problems"]
    assert {w["code"] for w in ok["warnings"]} >= {"dropped_hint"}
    [problem] = refused["problems"]
    assert problem["feature"] == "sdc-questionnaire-calculatedExpression"
    assert problem["where"] == "H1/T1/H1/TS" and "not supported" in problem["message"]


def test_the_r4_specifications_examples_in_one_bundle(client):
    """All Questionnaires of the FHIR R4 example package sent together: the ussg-fht Bundle's
    answer lists travel in it as ValueSets, so only its reference item is refused."""
    entries = [{"resource": load(e["file"])} for e in MANIFEST
               if e.get("package") == "hl7.fhir.r4.examples" and "Bundle" not in e["file"]]
    entries += load("r4-Bundle-ussg-fht.json")["entry"]
    r = client.post("/v1/fhir/import?lang=sv", json={"resourceType": "Bundle",
                                                      "type": "collection", "entry": entries},
                    headers=as_("designer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["importable"], body["refused"]) == (3, 7)
    [fht] = [f for f in body["forms"] if "54127-6" in f["label"]]
    assert [(p["where"], p["feature"]) for p in fht["problems"]] == [
        ("2/2.1/2.1.1.0", "type reference")]
    assert "stöds inte" in fht["problems"][0]["message"]


def test_refusal_is_in_the_designers_language(client):
    r = client.post("/v1/fhir/import", json=load(REFUSED),
                    headers=as_("designer", **{"Accept-Language": "sv"}))
    [problem] = r.json()["forms"][0]["problems"]
    assert "stöds inte" in problem["message"]


def test_import_creates_the_units_form_and_the_draft_exports_it(client):
    r = client.post("/v1/units/u1/forms/import?service_type=advice", json=load(SUPPORTED),
                    headers=as_("designer"))
    assert r.status_code == 201, r.text
    form_id = r.json()["form"]["form_id"]
    assert r.json()["warnings"]
    draft = client.get(f"/v1/forms/{form_id}/draft?format=fhir", headers=as_("designer")).json()
    assert draft["derivedFrom"] == [
        "http://hl7.org/fhir/uv/sdc/Questionnaire/anc-quick-check|0.1.0"]


def test_a_refused_questionnaire_writes_nothing(client):
    r = client.post("/v1/units/u1/forms/import?service_type=advice", json=load(REFUSED),
                    headers=as_("designer"))
    assert r.status_code == 422
    assert r.json()["detail"]["problems"][0]["code"] == "unsupported_extension"
    assert client.get("/v1/units/u1/forms", headers=as_("designer")).json() == []


def test_only_designers_of_the_unit_import(client):
    r = client.post("/v1/units/u1/forms/import?service_type=advice", json=load(SUPPORTED),
                    headers=as_("other"))
    assert r.status_code == 403


def test_not_a_questionnaire_and_oversized_bodies_are_refused(client):
    r = client.post("/v1/fhir/import", json={"resourceType": "Patient"}, headers=as_("designer"))
    assert r.json()["forms"][0]["problems"][0]["code"] == "not_a_questionnaire"
    r = client.post("/v1/fhir/import", content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
                    headers=as_("designer", **{"Content-Type": "application/json"}))
    assert r.status_code == 413
    r = client.post("/v1/fhir/import", content=b"not json", headers=as_("designer"))
    assert r.status_code == 422


def test_draft_import_replaces_the_draft(client):
    form_id = new_form(client)
    r = client.put(f"/v1/forms/{form_id}/draft/import", json=load(SUPPORTED),
                   headers=as_("designer"))
    assert r.status_code == 200, r.text
    draft = client.get(f"/v1/forms/{form_id}/draft", headers=as_("designer")).json()
    assert draft["source"]["url"].endswith("anc-quick-check")


def test_answers_export_as_a_questionnaire_response_of_the_exact_version(client):
    from devstack.form_samples import SAMPLES

    form_id = new_form(client)
    assert client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer")).status_code == 201
    r = client.post(f"/v1/forms/{form_id}/versions/1/questionnaire-response",
                    json=SAMPLES["advice"], headers=as_("patient"))
    assert r.status_code == 200, r.text
    qr = r.json()
    assert qr["questionnaire"] == f"{BASE}/Questionnaire/{form_id}|1"
    QuestionnaireResponse.model_validate(qr)
    bad = client.post(f"/v1/forms/{form_id}/versions/1/questionnaire-response",
                      json={"resourceType": "QuestionnaireResponse", "item": []},
                      headers=as_("patient"))
    assert bad.status_code == 422 and bad.json()["detail"]["errors"]


def test_instruments_are_offered_with_their_licence_and_import_as_forms(client):
    listed = client.get("/v1/instruments", headers=as_("designer")).json()
    assert {i["id"] for i in listed} == {"phq-9", "gad-7", "audit"}
    assert all("Free to use" in i["licence"] for i in listed)
    phq = client.get("/v1/instruments/phq-9", headers=as_("designer")).json()
    assert "Pfizer" in phq["copyright"] and phq["item"][1]["answerOption"][0]["valueCoding"][
        "code"] == "LA6568-5"
    r = client.post("/v1/units/u1/forms/import?service_type=advice", json=phq,
                    headers=as_("designer"))
    assert r.status_code == 201, r.text
    assert client.get("/v1/instruments/nope", headers=as_("designer")).status_code == 404


def test_absurd_nesting_is_refused_not_crashed(client):
    deep = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/v1/fhir/import", content=deep,
                    headers=as_("designer", **{"Content-Type": "application/json"}))
    assert r.status_code == 422
    item: dict = {"linkId": "leaf", "text": "x", "type": "string"}
    for n in range(40):
        item = {"linkId": f"g{n}", "type": "group", "item": [item]}
    body = {"resourceType": "Questionnaire", "status": "active", "title": "T", "item": [item]}
    r = client.post("/v1/fhir/import?lang=en", json=body, headers=as_("designer"))
    assert r.status_code == 200 and "nested more than" in r.text

"""The forms API through FastAPI's TestClient, with its store on SQLite (fakes.py) and a fake
token verifier: designing, publishing immutable versions, unit services, validation."""

import pytest
from fastapi.testclient import TestClient

from devstack.form_samples import SAMPLES, ans, code, response
from services.forms.bootstrap import create_app
from services.forms.domain.fhir import to_fhir
from services.forms.library import BUILTIN
from services.forms.settings import FormsSettings
from shared.auth import Principal
from tests.unit.forms.fakes import FormsDatabase

BASE = "https://fhir.test"
PEOPLE = {
    "designer": Principal(subject="s-d", kind="staff", loa=3, units={"u1": ["form_designer"]}),
    "clinician": Principal(subject="s-c", kind="staff", loa=3, units={"u1": ["clinician"]}),
    "other": Principal(subject="s-o", kind="staff", loa=3, units={"u2": ["form_designer"]}),
    "patient": Principal(subject="p1", kind="patient", loa=3),
}


class FakeVerifier:
    async def verify(self, token: str) -> Principal:
        return PEOPLE[token]


@pytest.fixture
def db(tmp_path) -> FormsDatabase:
    return FormsDatabase(tmp_path / "forms.db")


@pytest.fixture
def client(db):
    app = create_app(FormsSettings(environment="test"))
    app.state.forms = db.context(BASE)
    app.state.token_verifier = FakeVerifier()
    return TestClient(app)  # no lifespan: nothing connects


def as_(who: str, **headers) -> dict:
    return {"Authorization": f"Bearer {who}", **headers}


def new_form(client, service="advice") -> str:
    r = client.post("/v1/units/u1/forms", json={"service_type": service}, headers=as_("designer"))
    assert r.status_code == 201, r.text
    return r.json()["form_id"]


def published(client, service="advice") -> str:
    form_id = new_form(client, service)
    assert client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer")).status_code == 201
    return form_id


def test_without_a_token_everything_is_401(client):
    assert client.get("/v1/templates").status_code == 401
    assert client.post("/v1/forms/f/versions/1/validate", json={}).status_code == 401


def test_templates_are_listed_and_exported(client):
    listed = client.get("/v1/templates", headers=as_("patient")).json()
    assert len(listed) == 7
    fhir = client.get("/v1/templates/advice", headers=as_("patient")).json()
    assert fhir["resourceType"] == "Questionnaire" and fhir["title"] == "Rådgivning"


@pytest.mark.parametrize("who, status", [("clinician", 403), ("other", 403), ("patient", 403)])
def test_only_the_units_form_designers_create_forms(client, who, status):
    r = client.post("/v1/units/u1/forms", json={"service_type": "advice"}, headers=as_(who))
    assert r.status_code == status


def test_one_form_per_unit_and_e_service(client):
    new_form(client)
    r = client.post("/v1/units/u1/forms", json={"service_type": "advice"},
                    headers=as_("designer"))
    assert r.status_code == 409


def test_draft_edit_preview_and_refusal_of_a_broken_definition(client):
    form_id = new_form(client, "book_appointment")
    draft = client.get(f"/v1/forms/{form_id}/draft", headers=as_("designer")).json()
    draft["title"]["sv"] = "Boka tid hos distriktssköterskan"
    r = client.put(f"/v1/forms/{form_id}/draft", json={"definition": draft},
                   headers=as_("designer"))
    assert r.status_code == 200
    html = client.get(f"/v1/forms/{form_id}/draft/preview", headers=as_("designer")).text
    assert "Boka tid hos distriktssköterskan" in html
    english = client.get(f"/v1/forms/{form_id}/draft/preview?lang=en", headers=as_("designer"))
    assert "Request an appointment" in english.text
    draft["items"][1]["enable_when"] = [{"question": "nowhere", "operator": "exists",
                                         "answer": True}]
    r = client.put(f"/v1/forms/{form_id}/draft", json={"definition": draft},
                   headers=as_("designer"))
    assert r.status_code == 422 and "earlier question" in str(r.json()["detail"]["problems"])
    assert client.get(f"/v1/forms/{form_id}/draft", headers=as_("clinician")).status_code == 403


def test_a_draft_can_be_given_as_fhir(client):
    form_id = new_form(client, "advice")
    questionnaire = to_fhir(BUILTIN["renew_prescription"], url="urn:x", version="1")
    r = client.put(f"/v1/forms/{form_id}/draft", json={"questionnaire": questionnaire},
                   headers=as_("designer"))
    assert r.status_code == 200
    draft = client.get(f"/v1/forms/{form_id}/draft", headers=as_("designer")).json()
    assert draft["title"]["en"] == "Renew a prescription"
    r = client.put(f"/v1/forms/{form_id}/draft", json={"questionnaire": {"resourceType": "x"}},
                   headers=as_("designer"))
    assert r.status_code == 422


def test_publishing_freezes_a_version_and_emits_form_published(client, db):
    form_id = published(client)
    [event] = db.events("forms.form_published")
    assert event.data == {**event.data, "form_id": form_id, "version": 1, "unit_id": "u1",
                          "service_type": "advice"}
    assert event.actor.id == "s-d" and event.subject == form_id
    again = client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer"))
    assert again.status_code == 200 and again.json()["version"] == 1
    assert len(db.events("forms.form_published")) == 1


def test_editing_after_publishing_never_changes_the_published_version(client, db):
    form_id = published(client)
    v1 = client.get(f"/v1/forms/{form_id}/versions/1", headers=as_("patient"))
    assert v1.json()["version"] == "1" and v1.json()["url"] == f"{BASE}/Questionnaire/{form_id}"
    draft = client.get(f"/v1/forms/{form_id}/draft", headers=as_("designer")).json()
    draft["items"][0]["text"] = {"sv": "Ring 112 vid akut fara.", "en": "Call 112 if urgent."}
    client.put(f"/v1/forms/{form_id}/draft", json={"definition": draft}, headers=as_("designer"))
    again = client.get(f"/v1/forms/{form_id}/versions/1", headers=as_("patient"))
    assert again.json() == v1.json() and again.headers["etag"] == v1.headers["etag"]
    r = client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer"))
    assert r.status_code == 201 and r.json()["version"] == 2
    v2 = client.get(f"/v1/forms/{form_id}/versions/2?format=native", headers=as_("patient"))
    assert v2.json()["items"][0]["text"]["sv"] == "Ring 112 vid akut fara."
    assert client.get(f"/v1/forms/{form_id}/versions/1", headers=as_("patient")).json() == \
        v1.json()
    assert client.get(f"/v1/forms/{form_id}/versions/3", headers=as_("patient")).status_code \
        == 404


def test_old_messages_still_validate_and_render_against_their_own_version(client):
    form_id = published(client, "change_care_centre")
    draft = client.get(f"/v1/forms/{form_id}/draft", headers=as_("designer")).json()
    draft["items"].append({"link_id": "phone", "type": "string", "required": True,
                           "text": {"sv": "Telefon", "en": "Phone"}})
    draft["items"][0]["text"] = {"sv": "Vad gäller bytet?", "en": "What is the change?"}
    client.put(f"/v1/forms/{form_id}/draft", json={"definition": draft}, headers=as_("designer"))
    client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer"))
    old = SAMPLES["change_care_centre"]
    v1 = client.post(f"/v1/forms/{form_id}/versions/1/validate", json=old,
                     headers=as_("patient")).json()
    v2 = client.post(f"/v1/forms/{form_id}/versions/2/validate", json=old,
                     headers=as_("patient")).json()
    assert v1["valid"] and not v2["valid"] and v2["errors"][0]["link_id"] == "phone"
    text = client.post(f"/v1/forms/{form_id}/versions/1/render-answers", json=old,
                       headers=as_("clinician")).text
    assert "Vad vill du byta?: Båda" in text and "Vad gäller bytet?" not in text


def test_validation_errors_follow_accept_language_and_lang(client):
    form_id = published(client)
    empty = response(questionnaire=f"{BASE}/Questionnaire/{form_id}|1")
    url = f"/v1/forms/{form_id}/versions/1/validate"
    en = client.post(url, json=empty, headers=as_("patient", **{"Accept-Language":
                                                                "en-GB,en;q=0.9,sv;q=0.5"}))
    body = en.json()
    assert en.status_code == 200 and body["language"] == "en" and not body["valid"]
    assert body["errors"][0] == {"link_id": "screening", "path": "item", "code": "required",
                                 "message": "“First, a few questions about urgency” must be "
                                            "answered."}
    sv = client.post(f"{url}?lang=sv", json=empty,
                     headers=as_("patient", **{"Accept-Language": "en"})).json()
    assert sv["language"] == "sv" and sv["errors"][0]["message"].startswith("”Först")
    wrong = client.post(url, json=response(questionnaire="urn:other|1"),
                        headers=as_("patient")).json()
    assert "wrong_questionnaire" in [e["code"] for e in wrong["errors"]]
    ok = client.post(url, json=SAMPLES["advice"], headers=as_("patient")).json()
    assert ok == {"form_id": form_id, "version": 1, "language": "sv", "valid": True,
                  "errors": []}


def test_draft_answers_can_be_tried_before_publishing(client):
    form_id = new_form(client, "order_record_copy")
    r = client.post(f"/v1/forms/{form_id}/draft/validate", headers=as_("designer"),
                    json=response(ans("period", code("all")), ans("parts", code("lab")),
                                  ans("delivery", code("post"))))
    assert r.json()["valid"] and r.json()["version"] == 1


def test_unit_services_need_a_published_form_and_emit_a_snapshot(client, db):
    form_id = new_form(client, "advice")
    body = {"services": [{"service_type": "advice", "audience": "listed_patients"}]}
    r = client.put("/v1/units/u1/services", json=body, headers=as_("designer"))
    assert r.status_code == 409 and db.events("forms.unit_services_changed") == []
    client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer"))
    r = client.put("/v1/units/u1/services", json=body, headers=as_("designer"))
    assert r.json() == [{"service_type": "advice", "audience": "listed_patients",
                         "form_id": form_id, "version": 1}]
    [event] = db.events("forms.unit_services_changed")
    assert event.data["services"] == [{"service_type": "advice", "audience": "listed_patients"}]
    client.put("/v1/units/u1/services", json=body, headers=as_("designer"))
    assert len(db.events("forms.unit_services_changed")) == 1  # unchanged: no event
    assert client.put("/v1/units/u1/services", json=body, headers=as_("other")).status_code \
        == 403
    dup = {"services": body["services"] * 2}
    assert client.put("/v1/units/u1/services", json=dup, headers=as_("designer")).status_code \
        == 422
    assert client.get("/v1/units/u1/services", headers=as_("patient")).json() == r.json()


def test_retiring_stops_offering_the_service_but_keeps_versions_readable(client, db):
    form_id = published(client, "renew_prescription")
    client.put("/v1/units/u1/services", headers=as_("designer"),
               json={"services": [{"service_type": "renew_prescription"}]})
    r = client.post(f"/v1/forms/{form_id}/retire", headers=as_("designer"))
    assert r.status_code == 200 and r.json()["retired"]
    [retired] = db.events("forms.form_retired")
    assert retired.data["service_type"] == "renew_prescription"
    changes = db.events("forms.unit_services_changed")
    assert [e.data["services"] for e in changes] == [
        [{"service_type": "renew_prescription", "audience": "all_residents"}], []]
    assert client.get("/v1/units/u1/services", headers=as_("patient")).json() == []
    assert client.get(f"/v1/forms/{form_id}/versions/1", headers=as_("patient")).status_code \
        == 200
    offer = {"services": [{"service_type": "renew_prescription"}]}
    assert client.put("/v1/units/u1/services", json=offer,
                      headers=as_("designer")).status_code == 409
    republished = client.post(f"/v1/forms/{form_id}/publish", headers=as_("designer"))
    assert republished.status_code == 200 and republished.json()["version"] == 1
    assert client.put("/v1/units/u1/services", json=offer,
                      headers=as_("designer")).status_code == 200


def test_a_never_published_form_cannot_be_retired(client, db):
    form_id = new_form(client)
    assert client.post(f"/v1/forms/{form_id}/retire", headers=as_("designer")).status_code \
        == 409
    assert db.outbox == []


def test_unit_form_list_is_for_the_units_staff(client):
    new_form(client, "advice")
    listed = client.get("/v1/units/u1/forms", headers=as_("clinician")).json()
    assert [f["service_type"] for f in listed] == ["advice"]
    assert client.get("/v1/units/u1/forms", headers=as_("other")).status_code == 403


def test_a_published_version_renders_for_anyone_logged_in(client):
    form_id = published(client)
    html = client.get(f"/v1/forms/{form_id}/versions/1/render?lang=en", headers=as_("patient"))
    assert html.status_code == 200 and "If it is urgent: call 112" in html.text

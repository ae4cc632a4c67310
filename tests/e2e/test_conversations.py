"""Conversations that go on, across the running services on real Kafka and PostgreSQL: the
clinician asks, the patient writes back, the clinician closes; statuses and read receipts on
both sides; the advice e-service lands in the chosen group's pool; away returns messages to
the pool on record; a person who is both administrator and clinician answers what is
theirs; answer templates at their levels."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e import inspect
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]
U = UNIT["unit_id"]


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def conversation(patient: Person, conversation_id: str, **want) -> dict | None:
    r = await patient.patient("GET", f"/v1/conversations/{conversation_id}")
    body = r.json()
    return body if all(body.get(k) == v for k, v in want.items()) else None


async def case(person: Person, message_id: str, **want) -> dict | None:
    body = (await person.unit("GET", f"/v1/messages/{message_id}")).json()
    return body if all(body.get(k) == v for k, v in want.items()) else None


async def test_a_conversation_goes_on_until_the_clinician_closes_it(stack, http):
    ask, more, done = (f"{w}-{uuid.uuid4().hex}" for w in ("ASK", "MORE", "DONE"))
    admin = await Person.login(http, hsa_id=staff_of(U, "message_administrator")[0]["hsa_id"])
    doctor = await Person.login(http, hsa_id=staff_of(U, "clinician", "doctor")[0]["hsa_id"])
    patient = await Person.login(http, personnummer=SEED["patients"][2]["personnummer"])
    reduced = await Person.login(http, personnummer=SEED["patients"][2]["personnummer"], loa=2)
    sent = await patient.submit(U, "renew_prescription", text="Förnya, tack.")
    assert sent.status_code == 201, sent.text
    conversation_id, message_id = sent.json()["conversation_id"], sent.json()["message_id"]

    # The unit has it: "received", with the unit's promise for the e-service and its name.
    conv = await eventually(lambda: conversation(patient, conversation_id, status="received"),
                            what="status received")
    assert conv["promised_answer_days"] == 3 and conv["care_unit_name"] == UNIT["name"]
    assert conv["can_reply"] and conv["messages"][0]["opened_at"] is None
    assigned = await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                                json={"clinician_id": doctor.id})
    assert assigned.status_code == 204, assigned.text
    await eventually(lambda: conversation(patient, conversation_id, status="in_progress"),
                     what="status in progress")

    # The doctor opens it (the patient sees when) and asks a follow-up question.
    assert (await doctor.unit("POST", f"/v1/messages/{message_id}/open")).status_code == 200
    async def receipt():
        return (await conversation(patient, conversation_id))["messages"][0]["opened_at"]
    await eventually(receipt, what="the unit's read receipt")
    asked = await doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                              json={"text": f"Hur mår du? {ask}", "action": "ask"})
    assert asked.status_code == 201, asked.text
    again = await doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                              json={"text": "Ett till svar"})
    assert again.status_code == 409 and "has not written" in again.text
    await eventually(lambda: case(doctor, message_id, status="waiting"), what="case waiting")

    # The patient reads it (the doctor sees when) and writes back; only with e-ID.
    conv = await eventually(lambda: conversation(patient, conversation_id, status="answered"),
                            what="status answered")
    assert [m["direction"] for m in conv["messages"]] == ["to_unit", "to_patient"]
    assert ask in conv["messages"][1]["text"]
    assert (await reduced.patient("POST", f"/v1/conversations/{conversation_id}/messages",
                                  json={"text": "x"})).status_code == 403
    wrote = await patient.patient("POST", f"/v1/conversations/{conversation_id}/messages",
                                  json={"subject": "Svar", "text": f"Bättre nu. {more}"})
    assert wrote.status_code == 201, wrote.text
    await eventually(lambda: case(doctor, message_id, status="assigned",
                                  unread_from_patient=True), what="the case reopened")
    thread = (await doctor.unit("POST", f"/v1/messages/{message_id}/open")).json()["messages"]
    assert [m["direction"] for m in thread] == ["to_unit", "to_patient", "to_unit"]
    assert more in thread[2]["text"] and thread[1]["opened_at"] is not None

    # The doctor answers and closes; the patient can no longer write.
    closed = await doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                               json={"text": f"Bra, då avslutar vi. {done}",
                                     "action": "close"})
    assert closed.status_code == 201, closed.text
    conv = await eventually(lambda: conversation(patient, conversation_id, status="closed"),
                            what="status closed")
    assert not conv["can_reply"] and len(conv["messages"]) == 4
    refused = await patient.patient("POST", f"/v1/conversations/{conversation_id}/messages",
                                    json={"text": "Hallå?"})
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    listed = (await patient.patient("GET", "/v1/conversations", params={"limit": 1})).json()
    assert listed["items"][0]["conversation_id"] == conversation_id  # newest first

    for needle in (ask, more, done):
        assert await inspect.kafka_records_containing(stack, needle.encode()) == []
        assert await inspect.clear_text_columns_containing(stack, needle) == []


async def test_pools_away_and_a_person_with_both_roles(stack, http, tmp_path):
    unit = Unit(hsa_id("PU"), "Vårdcentralen Pool")
    boss, nurse, nurse2 = hsa_id("PB"), hsa_id("PN"), hsa_id("PM")
    people = [Staff(boss, "doctor", {unit.unit_id: ["message_administrator", "clinician"]}),
              Staff(nurse, "nurse", {unit.unit_id: ["clinician"]}),
              Staff(nurse2, "nurse", {unit.unit_id: ["clinician"]})]
    await import_catalogue(stack, write_ldif(tmp_path / "pool.ldif", [unit], people),
                           merge=True)
    boss_p, nurse_p, nurse2_p = [await Person.login(http, hsa_id=h) for h in (boss, nurse,
                                                                             nurse2)]
    boss, nurse, nurse2 = boss_p.id, nurse_p.id, nurse2_p.id  # the staff ids the APIs use
    patient = await Person.login(http, personnummer=SEED["patients"][3]["personnummer"])
    u = unit.unit_id
    groups = await eventually(lambda: _groups(boss_p, u), timeout=60, what="the unit's groups")
    assert {"nurses", "doctors", "psychologists"} <= {g["group_id"] for g in groups}

    # The advice form asks for a nurse: the message lands in the nurses' pool.
    advice = (await patient.submit(u, "advice")).json()["message_id"]
    pooled = await eventually(lambda: _find(nurse_p, u, advice, view="unassigned"),
                              timeout=60, what="advice in the nurses' pool")
    assert pooled["group_id"] == "nurses" and pooled["assigned_to_name"]
    other = await nurse_p.unit("POST", f"/v1/messages/{advice}/assign",
                               json={"clinician_id": boss})
    assert other.status_code == 403  # a clinician takes from the pool only for themselves
    assert (await nurse_p.unit("POST", f"/v1/messages/{advice}/assign",
                               json={"clinician_id": nurse})).status_code == 204
    conflict = await nurse2_p.unit("POST", f"/v1/messages/{advice}/assign",
                                   json={"clinician_id": nurse2})
    assert conflict.status_code in (403, 404)  # no longer in nurse2's pool
    taken = await boss_p.unit("POST", f"/v1/messages/{advice}/assign",
                              json={"clinician_id": nurse2})
    assert taken.status_code == 409 and f"clinician {nurse}" in taken.json()["detail"]

    # The nurse goes away: the administrator marks it; the message returns to the pool.
    assert (await boss_p.unit("POST", f"/v1/units/{u}/clinicians/{nurse}/away",
                              json={"away": True})).status_code == 204
    back = await boss_p.unit("GET", f"/v1/messages/{advice}")
    assert (back.json()["status"], back.json()["assigned_to"], back.json()["group_id"]) == (
        "unassigned", None, "nurses")
    clinicians = {c["staff_id"]: c for c in (await boss_p.unit(
        "GET", f"/v1/units/{u}/clinicians")).json()}
    assert clinicians[nurse]["away"] and not clinicians[nurse2]["away"]
    away_assign = await boss_p.unit("POST", f"/v1/messages/{advice}/assign",
                                    json={"clinician_id": nurse})
    assert away_assign.status_code == 409 and "away" in away_assign.text
    conv_id = back.json()["conversation_id"]
    records = await eventually(lambda: inspect.audit_records(
        stack, conv_id, {"messaging.message_taken_back", "messaging.message_pooled"}),
        what="the move on record")
    moved = [r for r in records if r["event_type"] == "messaging.message_taken_back"]
    assert [r["actor_id"] for r in moved] == [boss_p.id]

    # Administrator and clinician in one person: assigned to them, they answer it.
    prescription = (await patient.submit(u, "renew_prescription")).json()["message_id"]
    await eventually(lambda: _find(boss_p, u, prescription, view="unassigned"), timeout=60,
                     what="message in the inbox")
    assert (await boss_p.unit("POST", f"/v1/messages/{prescription}/assign",
                              json={"clinician_id": boss})).status_code == 204
    answered = await boss_p.unit("POST", f"/v1/messages/{prescription}/reply",
                                 json={"text": "Klart."})
    assert answered.status_code == 201, answered.text
    assert (await boss_p.unit("POST", f"/v1/units/{u}/clinicians/{nurse}/away",
                              json={"away": False})).status_code == 204


async def test_answer_templates_at_three_levels(stack, http):
    admin = await Person.login(http, hsa_id=staff_of(U, "message_administrator")[0]["hsa_id"])
    nurse = await Person.login(http, hsa_id=staff_of(U, "clinician", "nurse")[0]["hsa_id"])
    doctor = await Person.login(http, hsa_id=staff_of(U, "clinician", "doctor")[0]["hsa_id"])
    title = f"Egen {uuid.uuid4().hex[:8]}"
    refused = await nurse.unit("POST", f"/v1/units/{U}/answer-templates",
                               json={"level": "unit", "title": title, "text": "x"})
    assert refused.status_code == 403
    typo = await nurse.unit("POST", f"/v1/units/{U}/answer-templates", json={
        "level": "personal", "title": title, "text": "Hej {patient_first_name}"})
    assert typo.status_code == 422 and "patient_first_name" in typo.text
    mine = await nurse.unit("POST", f"/v1/units/{U}/answer-templates", json={
        "level": "personal", "title": title, "text": "Hälsningar {clinician_name}"})
    unit_wide = await admin.unit("POST", f"/v1/units/{U}/answer-templates", json={
        "level": "unit", "title": title, "text": "Hälsningar {unit_name}, {date}"})
    assert mine.status_code == unit_wide.status_code == 201
    levels = {t["level"] for t in (await nurse.unit(
        "GET", f"/v1/units/{U}/answer-templates")).json()}
    assert levels == {"national", "unit", "personal"}
    doctors = {t["template_id"] for t in (await doctor.unit(
        "GET", f"/v1/units/{U}/answer-templates")).json()}
    assert unit_wide.json()["template_id"] in doctors and mine.json()["template_id"] not in doctors
    assert (await doctor.unit("DELETE", f"/v1/answer-templates/{mine.json()['template_id']}")
            ).status_code == 404
    assert (await nurse.unit("DELETE", f"/v1/answer-templates/{mine.json()['template_id']}")
            ).status_code == 204


async def _groups(person: Person, unit_id: str):
    r = await person.unit("GET", f"/v1/units/{unit_id}/groups")
    return r.json() if r.status_code == 200 and r.json() else None


async def _find(person: Person, unit_id: str, message_id: str, **params) -> dict | None:
    items = await all_pages(person, f"/v1/units/{unit_id}/messages", **params)
    return next((m for m in items if m["message_id"] == message_id), None)

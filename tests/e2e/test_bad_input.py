"""Bad input gets a clear 4xx and writes nothing; nobody reaches what is not theirs."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tests.e2e.support import SEED, Person, eventually, sample_answers, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]["unit_id"]


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


# Other tests' events may still be arriving meanwhile (another patient's new message at the
# unit, a reply stored in their conversation, the outbox rows that go with them): the counts
# leave out rows of other patients' conversations, so they change only by what could come
# of this patient's requests.
COUNTS = {
    ("patient", "patient_mailbox"): {
        "conversations": "SELECT count(*) FROM conversations WHERE patient_id = %(me)s",
        "messages": "SELECT count(*) FROM messages JOIN conversations USING (conversation_id) "
                    "WHERE patient_id = %(me)s",
        "outbox": "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM conversations "
                  "c WHERE c.conversation_id = o.key AND c.patient_id <> %(me)s)"},
    ("careunit", "careunit_mailbox"): {
        "unit_messages": "SELECT count(*) FROM unit_messages WHERE patient_id = %(me)s",
        "replies": "SELECT count(*) FROM replies JOIN unit_messages USING (message_id) "
                   "WHERE patient_id = %(me)s",
        "outbox": "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM unit_messages "
                  "m WHERE m.conversation_id = o.key AND m.patient_id <> %(me)s)"},
}


async def row_counts(stack, patient: Person) -> dict[str, int]:
    counts = {}
    for (server, database), queries in COUNTS.items():
        dsn = stack.cfg.database_url(server, database).replace("+psycopg", "")
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            for table, sql in queries.items():
                row = await (await conn.execute(sql, {"me": patient.id})).fetchone()
                counts[f"{database}.{table}"] = row[0]
    return counts


async def reached_unit(stack, message_id: str) -> bool:
    dsn = stack.cfg.database_url("careunit", "careunit_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (await conn.execute(
            "SELECT count(*) FROM outbox o JOIN unit_messages m ON o.key = m.conversation_id "
            "WHERE m.message_id = %s", (message_id,))).fetchone()
    return row[0] > 0  # stored and its MessageReceived written


async def test_bad_submissions_are_refused_with_reasons_and_write_nothing(stack, http):
    patient = await Person.login(http, personnummer=SEED["patients"][2]["personnummer"])
    ok = await patient.submit(UNIT, "advice")  # the unit's forms and keys are in place
    assert ok.status_code == 201, ok.text
    # Let that one settle on both sides first, so the counts below only see the bad ones.
    await eventually(lambda: reached_unit(stack, ok.json()["message_id"]),
                     what="the good message in the care-unit database")
    offers = {o["service_type"]: o for o in (await patient.patient(
        "GET", f"/v1/units/{UNIT}/services")).json()}
    form = {"form_id": offers["advice"]["form_id"], "version": offers["advice"]["form_version"]}
    good = {"care_unit_id": UNIT, "service_type": "advice", "form": form,
            "answers": sample_answers("advice")}
    before = await row_counts(stack, patient)
    assert before["careunit_mailbox.unit_messages"] >= 1  # the good one: the scope is right
    cases = [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, None),
        ({"json": {"care_unit_id": UNIT, "text": "x"}}, 422, "service_type"),
        ({"json": {**good, "care_unit_id": "SE-NO-SUCH-UNIT"}}, 404, "unknown care unit"),
        ({"json": {**good, "service_type": "teleport"}}, 422, "service_type"),
        ({"json": {**good, "text": "x" * 10_001}}, 422, "text"),
        ({"json": {**good, "extra": 1}}, 422, "extra"),
        ({"json": {"care_unit_id": UNIT, "service_type": "advice", "text": "hej"}}, 422,
         "this e-service is a form"),
        ({"json": {**good, "answers": {"resourceType": "QuestionnaireResponse", "item": []}}},
         422, "the answers do not match the form"),
        ({"json": {**good, "form": {**form, "version": form["version"] + 1}}}, 409,
         "the form has changed"),
        ({"json": {**good, "form": None}}, 422, "form"),
    ]
    for kwargs, status, reason in cases:
        response = await patient.patient("POST", "/v1/conversations", **kwargs)
        assert response.status_code == status, (kwargs, response.text)
        if reason:
            assert reason in response.text
    invalid = await patient.patient("POST", "/v1/conversations", json=cases[7][0]["json"],
                                    headers={"accept-language": "en"})
    errors = invalid.json()["detail"]["problems"]
    assert errors and all(e["path"] and e["message"] for e in errors)  # field-level reasons
    assert (await http.post("/api/patient/v1/conversations", json={})).status_code == 401
    assert await row_counts(stack, patient) == before


async def test_password_level_patient_sees_that_messages_exist_but_not_their_content(stack, http):
    reduced = await Person.login(http, personnummer=SEED["patients"][0]["personnummer"], loa=2)
    assert (await reduced.patient("GET", "/v1/conversations")).status_code == 200
    submit = await reduced.patient("POST", "/v1/conversations", json={
        "care_unit_id": UNIT, "service_type": "advice", "text": "hej"})
    assert submit.status_code == 403 and "e-ID" in submit.text
    assert (await reduced.patient("GET", "/v1/conversations/anything")).status_code == 403


async def test_staff_actions_outside_their_role_are_refused(stack, http):
    clinician = await Person.login(http, hsa_id=staff_of(UNIT, "clinician")[0]["hsa_id"])
    # A patient whose own messages have all arrived (the first test waited for its one): the
    # seed's first patients' messages of the tests before may still be on their way.
    patient = await Person.login(http, personnummer=SEED["patients"][2]["personnummer"])
    before = await row_counts(stack, patient)
    assert (await clinician.unit("GET", f"/v1/units/{UNIT}/unanswered")).status_code == 403
    assert (await clinician.unit("POST", "/v1/messages/no-such-id/assign",
                                 json={"clinician_id": clinician.id})).status_code == 404
    assert (await clinician.unit("POST", "/v1/messages/no-such-id/reply",
                                 json={"text": "x"})).status_code == 404
    # A patient token is not accepted by the care-unit mailbox at all (wrong audience).
    response = await patient.http.get(f"/api/careunit/v1/units/{UNIT}/messages", headers={
        "Authorization": f"Bearer {patient.tokens['patient-mailbox']}"})
    assert response.status_code == 401
    assert await row_counts(stack, patient) == before

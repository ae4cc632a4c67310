"""The ten-step message workflow across separate service processes on real Kafka,
PostgreSQL and SMTP: patient -> care unit -> administrator -> clinician -> patient."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e import inspect
from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]
OTHER_UNIT = SEED["care_units"][1]


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


async def test_ten_steps(stack, http):
    marker, answer_marker = f"MARKER-{uuid.uuid4().hex}", f"ANSWER-{uuid.uuid4().hex}"
    form_marker = f"FORM-{uuid.uuid4().hex}"
    admin = await Person.login(http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
    doctor, nurse = [await Person.login(http, hsa_id=staff_of(UNIT["unit_id"], "clinician", p)[0]["hsa_id"])
                     for p in ("doctor", "nurse")]
    other_admin = await Person.login(
        http, hsa_id=staff_of(OTHER_UNIT["unit_id"], "message_administrator")[0]["hsa_id"])

    mails_before = {a: len(await inspect.mails_to(stack, a))
                    for a in (UNIT["functional_email"], SEED["patients"][0]["email"])}

    async def new_mail(address: str):
        mails = await inspect.mails_to(stack, address)
        return mails[mails_before[address]:]

    # 1-2. The patient logs in and submits a message; it is stored in the patient database.
    patient = await Person.login(http, personnummer=SEED["patients"][0]["personnummer"])
    submitted = await patient.submit(UNIT["unit_id"], "renew_prescription",
                                     text=f"Jag behöver förnya mitt recept. {marker}",
                                     marker=form_marker)
    assert submitted.status_code == 201, submitted.text
    conversation_id = submitted.json()["conversation_id"]
    message_id = submitted.json()["message_id"]
    mine = (await patient.patient("GET", "/v1/conversations")).json()["items"]
    assert [c["conversation_id"] for c in mine].count(conversation_id) == 1

    # 3. It travels sealed to the care unit's database and shows up unassigned.
    async def in_unit_inbox():
        inbox = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/messages",
                                view="unassigned")
        return [m for m in inbox if m["message_id"] == message_id]
    await eventually(in_unit_inbox, what="message in the unit inbox")
    other_unit_view = await all_pages(other_admin, f"/v1/units/{OTHER_UNIT['unit_id']}/messages")
    assert message_id not in {m["message_id"] for m in other_unit_view}

    # 4. The unit's functional address gets an e-mail without medical content.
    unit_mail = await eventually(lambda: new_mail(UNIT["functional_email"]),
                                 what="e-mail to the care unit")

    # 5-6. The administrator reads it and distributes it to the doctor...
    meta = await admin.unit("GET", f"/v1/messages/{message_id}")  # metadata: no content
    assert meta.status_code == 200 and "text" not in meta.json() and marker not in meta.text
    read = await admin.unit("POST", f"/v1/messages/{message_id}/open")
    assert read.status_code == 200 and marker in read.json()["text"]
    # The form answers arrive as written, with the exact form version they answer.
    assert form_marker in json.dumps(read.json()["answers"])
    assert read.json()["form"]["version"] >= 1
    unanswered = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/unanswered")
    assert any(m["message_id"] == message_id and m["age_seconds"] >= 0 and m["due_at"]
               for m in unanswered)
    assert (await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                             json={"clinician_id": doctor.id})).status_code == 204
    assert message_id in {m["message_id"] for m in await all_pages(
        doctor, f"/v1/units/{UNIT['unit_id']}/messages", view="mine")}
    assert (await nurse.unit("POST", f"/v1/messages/{message_id}/open")).status_code == 404
    # ...the doctor goes on leave: the administrator takes it back and gives it to the nurse.
    assert (await admin.unit("POST", f"/v1/messages/{message_id}/take-back")).status_code == 204
    assert (await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                             json={"clinician_id": nurse.id})).status_code == 204
    assert (await doctor.unit("POST", f"/v1/messages/{message_id}/open")).status_code == 404
    assert message_id not in {m["message_id"] for m in await all_pages(
        doctor, f"/v1/units/{UNIT['unit_id']}/messages")}

    # 7-8. The nurse reads and answers; the answer travels sealed to the patient database.
    nurse_read = await nurse.unit("POST", f"/v1/messages/{message_id}/open")
    assert nurse_read.status_code == 200 and marker in nurse_read.json()["text"]
    replied = await nurse.unit("POST", f"/v1/messages/{message_id}/reply",
                               json={"text": f"Receptet är förnyat. {answer_marker}"})
    assert replied.status_code == 201, replied.text
    unanswered = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/unanswered")
    assert message_id not in {m["message_id"] for m in unanswered}

    async def answered():
        convs = (await patient.patient("GET", "/v1/conversations")).json()["items"]
        return [c for c in convs if c["conversation_id"] == conversation_id
                and c["status"] == "answered" and c["unread"] == 1]
    await eventually(answered, what="answer in the patient mailbox")

    # 9. The patient is e-mailed, again without content.
    patient_mail = await eventually(lambda: new_mail(SEED["patients"][0]["email"]),
                                    what="e-mail to the patient")

    # 10. The patient reads the answer.
    conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
    texts = [m["text"] for m in conv["messages"]]
    assert marker in texts[0] and answer_marker in texts[1]
    assert conv["unread"] == 0 and conv["care_unit_name"] == UNIT["name"]

    # Nobody else sees it.
    intruder = await Person.login(http, personnummer=SEED["patients"][1]["personnummer"])
    assert (await intruder.patient("GET", f"/v1/conversations/{conversation_id}")).status_code == 404
    assert conversation_id not in {c["conversation_id"] for c in (await intruder.patient(
        "GET", "/v1/conversations")).json()["items"]}
    assert (await other_admin.unit("POST", f"/v1/messages/{message_id}/open")).status_code \
        == 404

    # No content in either e-mail.
    for mail in unit_mail + patient_mail:
        blob = mail["subject"] + mail["body"]
        assert marker not in blob and answer_marker not in blob and "recept" not in blob.lower()

    # The audit log has every step, and exactly one record per staff read (2 reads).
    expected = {"messaging.message_submitted", "routing.message_routed",
                "messaging.message_received", "messaging.message_assigned",
                "messaging.message_taken_back", "messaging.message_opened",
                "messaging.reply_sent", "messaging.reply_delivered", "messaging.message_read",
                "notifier.notification_sent"}
    async def every_step():  # and both reads: the first to arrive does not bring the other
        records = await inspect.audit_records(stack, conversation_id, expected) or []
        opened = [r for r in records if r["event_type"] == "messaging.message_opened"]
        return records if len(opened) >= 2 else None
    records = await eventually(every_step, what="audit records of every step")
    opened = [r for r in records if r["event_type"] == "messaging.message_opened"]
    assert len(opened) == 2
    assert sorted(r["actor_id"] for r in opened) == sorted([admin.id, nurse.id])

    # The markers are nowhere in clear: not on any Kafka topic, not in any table.
    for needle in (marker, answer_marker, form_marker):
        assert await inspect.kafka_records_containing(stack, needle.encode()) == []
        assert await inspect.clear_text_columns_containing(stack, needle) == []

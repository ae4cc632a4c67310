"""The canary scan: distinctive strings (a message body, an answer, form answers) and a
patient's personnummer and name go through the whole workflow; afterwards they are looked
for in every record of every Kafka topic, every column of every table of every database,
every service's log and every e-mail in the sink. The bodies may appear nowhere in clear
(the patient sees them only decrypted, through the API); the personnummer and name only in
identity's own database, which is where the population register copy lives."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e import inspect
from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]
PATIENT = SEED["patients"][2]


def log_files_containing(stack, needle: str) -> list[str]:
    logs = Path(stack.cfg.data_dir) / "logs"
    assert logs.is_dir(), logs
    hits = []
    for path in sorted(p for p in logs.rglob("*") if p.is_file()):
        if needle.encode() in path.read_bytes():
            hits.append(path.name)
    return hits


async def test_canaries_appear_nowhere_in_clear(stack, http) -> None:
    body, answer, form = (f"{kind}-CANARY-{uuid.uuid4().hex}" for kind in ("BODY", "ANSWER",
                                                                          "FORM"))
    admin = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
    patient = await Person.login(http, personnummer=PATIENT["personnummer"])
    submitted = await patient.submit(UNIT["unit_id"], "renew_prescription",
                                     text=f"Kanariefågel {body}", marker=form)
    assert submitted.status_code == 201, submitted.text
    message_id = submitted.json()["message_id"]
    conversation_id = submitted.json()["conversation_id"]

    async def opened():
        response = await admin.unit("POST", f"/v1/messages/{message_id}/open")
        return response if response.status_code == 200 else None
    assert body in (await eventually(opened, what="the unit can open it")).json()["text"]
    doctor = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "clinician", "doctor")[0]["hsa_id"])
    assert (await admin.unit("POST", f"/v1/messages/{message_id}/assign",
                             json={"clinician_id": doctor.id})).status_code == 204
    replied = await doctor.unit("POST", f"/v1/messages/{message_id}/reply",
                                json={"text": f"Svar {answer}"})
    assert replied.status_code == 201, replied.text

    async def answered():
        conv = await patient.patient("GET", f"/v1/conversations/{conversation_id}")
        texts = [m["text"] for m in conv.json().get("messages", [])]
        return texts if len(texts) == 2 else None
    texts = await eventually(answered, what="the answer in the patient's view")
    assert body in texts[0] and answer in texts[1]  # decrypted for the patient only
    await eventually(lambda: inspect.mails_to(stack, PATIENT["email"]), what="mail to patient")

    async with httpx.AsyncClient() as mailsink:
        mails = (await mailsink.get(f"http://127.0.0.1:{stack.cfg.mailsink_http_port}"
                                    "/api/messages")).json()
    everywhere = (body, answer, form)
    personal = (PATIENT["personnummer"], f"{PATIENT['given_name']} {PATIENT['family_name']}",
                PATIENT["family_name"])
    hits: dict[str, list[str]] = {}
    for needle in everywhere + personal:
        found = await inspect.kafka_records_containing(stack, needle.encode())
        columns = await inspect.clear_text_columns_containing(stack, needle)
        if needle in personal:  # identity keeps the register copy and the accounts
            columns = [c for c in columns if not c.startswith("platform/identity.")]
        found += columns + log_files_containing(stack, needle)
        found += [f"mail {m['subject']!r}" for m in mails
                  if needle in m["subject"] + m["body"] + (m.get("html") or "")]
        if found:
            hits[needle[:12] + "..."] = found
    assert hits == {}

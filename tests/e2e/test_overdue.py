"""A broken answer-time promise, on the running system: the unit promises 0 days for an
e-service, a message to it stays unanswered, the care-unit mailbox records one
MessageOverdue, the unanswered overview marks it overdue, and the unit's functional address
gets exactly one content-free e-mail about it."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.e2e import inspect
from tests.e2e.staffing import Staff, Unit, hsa_id, import_catalogue, write_ldif
from tests.e2e.support import SEED, Person, all_pages, eventually

pytestmark = pytest.mark.e2e

OVERDUE_SUBJECT = "Obesvarat meddelande har passerat utlovad svarstid"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def test_a_broken_promise_is_announced_once_without_content(stack, http, tmp_path):
    unit, admin_id = Unit(hsa_id("OD"), "Vårdcentralen Sen"), hsa_id("OA")
    await import_catalogue(stack, write_ldif(tmp_path / "overdue.ldif", [unit], [
        Staff(admin_id, "medical_secretary", {unit.unit_id: ["message_administrator"]})]),
        merge=True)
    functional = f"inkorg.{unit.unit_id[-6:].lower()}@vard.example"
    admin = await Person.login(http, hsa_id=admin_id)
    u = unit.unit_id

    async def promised() -> bool:
        r = await admin.unit("PUT", f"/v1/units/{u}/answer-promises/renew_prescription",
                             json={"days": 0})
        return r.status_code == 204  # 403 until the admin's membership reached the mailbox
    await eventually(promised, timeout=60, what="the promise set")
    assert (await admin.unit("PUT", f"/v1/units/{u}/answer-promises/renew_prescription",
                             json={"days": 999})).status_code == 422
    promises = {p["service_type"]: p for p in (await admin.unit(
        "GET", f"/v1/units/{u}/answer-promises")).json()}
    assert promises["renew_prescription"] == {"service_type": "renew_prescription", "days": 0,
                                              "default": False}

    marker = f"SEN-{uuid.uuid4().hex}"
    patient = await Person.login(http, personnummer=SEED["patients"][4]["personnummer"])
    sent = await patient.submit(u, "renew_prescription", text=f"Förnya. {marker}")
    assert sent.status_code == 201, sent.text
    conversation_id, message_id = sent.json()["conversation_id"], sent.json()["message_id"]

    async def overdue_mails():
        mails = await inspect.mails_to(stack, functional)
        return [m for m in mails if m["subject"] == OVERDUE_SUBJECT]
    [mail] = await eventually(overdue_mails, timeout=60, what="the overdue e-mail")
    assert marker not in mail["subject"] + mail["body"] and "recept" not in mail["body"].lower()
    unanswered = await all_pages(admin, f"/v1/units/{u}/unanswered")
    [item] = [m for m in unanswered if m["message_id"] == message_id]
    assert item["overdue"] and item["due_at"]
    records = await eventually(lambda: inspect.audit_records(
        stack, conversation_id, {"messaging.message_overdue", "notifier.notification_sent"}),
        what="the broken promise on record")
    types = [r["event_type"].rsplit(".v", 1)[0] for r in records]
    assert types.count("messaging.message_overdue") == 1
    await asyncio.sleep(12)  # two more rounds of the check (every 5 s): still one of each
    assert len(await overdue_mails()) == 1
    conv = (await patient.patient("GET", f"/v1/conversations/{conversation_id}")).json()
    assert conv["promised_answer_days"] == 0

"""Crashes don't lose or duplicate messages: the outbox keeps what was committed and the
inbox drops redeliveries."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][1]


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


async def copies_in_unit_db(stack, message_id: str) -> int:
    dsn = stack.cfg.database_url("careunit", "careunit_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (await conn.execute(
            "SELECT count(*) FROM unit_messages WHERE message_id = %s", (message_id,))).fetchone()
    return row[0]


async def test_care_unit_mailbox_killed_while_messages_are_in_flight(stack, http):
    patient = await Person.login(http, personnummer=SEED["patients"][4]["personnummer"])
    admin = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])

    async def submit():
        return await patient.submit(UNIT["unit_id"], "book_appointment")
    await submit()  # waits for the unit's form and the mailbox keys

    stack.kill_service("careunit-mailbox")  # SIGKILL: no clean shutdown, no offset commit
    ids = []
    for _ in range(5):
        r = await submit()
        assert r.status_code == 201, r.text  # the patient side stays available
        ids.append(r.json()["message_id"])
    stack.start_service("careunit-mailbox")

    async def all_in_inbox():
        inbox = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/messages")
        return ids if ids and set(ids) <= {m["message_id"] for m in inbox} else None
    await eventually(all_in_inbox, timeout=60, what="messages after restart")
    assert [await copies_in_unit_db(stack, i) for i in ids] == [1] * 5


async def test_patient_mailbox_killed_right_after_commit_still_publishes(stack, http):
    """Kill the process that owns the outbox right after a commit (before its relay can be
    sure to have published); after restart the message reaches the unit exactly once."""
    patient = await Person.login(http, personnummer=SEED["patients"][5]["personnummer"])
    admin = await Person.login(
        http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
    r = await patient.submit(UNIT["unit_id"], "renew_sick_leave")
    assert r.status_code == 201, r.text
    message_id = r.json()["message_id"]
    stack.kill_service("patient-mailbox")
    stack.start_service("patient-mailbox")

    async def arrived():
        inbox = await all_pages(admin, f"/v1/units/{UNIT['unit_id']}/messages")
        return [m for m in inbox if m["message_id"] == message_id]
    await eventually(arrived, timeout=60, what="message after the patient mailbox restart")
    assert await copies_in_unit_db(stack, message_id) == 1

"""Nothing lost from the audit log (issue 9): every staff read is recorded exactly once,
also when the audit service is killed (SIGKILL) in the middle of thousands of reads, and
also when the audit consumer fails on the access event and dead-letters it, because the
audit service reconciles against the care-unit mailbox's own access log. Then the whole log
verifies, from the database and from the checkpoints on the audit topic.

AUDIT_READS sets the number of reads (2,000 by default; 10,000 for the full-size run)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer

from devstack.config import REPO_ROOT
from devstack.services import service_url
from tests.e2e import inspect, kafka_clients
from tests.e2e.support import SEED, Person, all_pages, eventually, staff_of

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][2]["unit_id"]
READS = int(os.environ.get("AUDIT_READS", "2000"))
OPENED = "messaging.message_opened"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


async def new_message(http, admin: Person, marker: str) -> tuple[str, str]:
    patient = await Person.login(http, personnummer=SEED["patients"][4]["personnummer"])
    r = await patient.submit(UNIT, "advice", text=marker)
    assert r.status_code == 201, r.text
    message_id, conversation_id = r.json()["message_id"], r.json()["conversation_id"]

    async def arrived():
        inbox = await all_pages(admin, f"/v1/units/{UNIT}/messages")
        return message_id in {m["message_id"] for m in inbox} or None
    await eventually(arrived, timeout=60, what="message in the unit's inbox")
    return message_id, conversation_id


async def open_many(stack, admin: Person, message_id: str, count: int) -> None:
    """`count` staff reads straight at the care-unit mailbox's API, 8 at a time."""
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "careunit-mailbox"),
                                 headers=admin._headers("careunit-mailbox"),
                                 timeout=60) as unit:
        async def one() -> None:
            async with gate:
                r = await unit.post(f"/v1/messages/{message_id}/open")
                assert r.status_code == 200, r.text
        await asyncio.gather(*(one() for _ in range(count)))


async def audited(stack, subject: str) -> list[dict]:
    """Every audit record of `subject` (paged)."""
    out: list[dict] = []
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "audit"), timeout=30,
                                 headers={"X-Internal-Api-Key": stack.cfg.internal_credential("operator")}) \
            as audit:
        after = 0
        while True:
            r = await audit.get("/v1/records", params={
                "subject": subject, "event_type": OPENED, "after_seq": after, "limit": 1000})
            assert r.status_code == 200, r.text
            out += r.json()["records"]
            if r.json()["next_after_seq"] is None:
                return out
            after = r.json()["next_after_seq"]


async def access_log(stack, conversation_id: str) -> set[str]:
    dsn = stack.cfg.database_url("careunit", "careunit_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        rows = await (await conn.execute("SELECT event_id FROM access_log "
                                         "WHERE conversation_id = %s", (conversation_id,))).fetchall()
    return {str(r[0]) for r in rows}


async def all_recorded(stack, conversation_id: str, expected: int) -> list[dict] | None:
    records = await audited(stack, conversation_id)
    return records if len(records) >= expected else None


@pytest.mark.timeout(900)  # 2,000 reads: about a minute on a quiet 2-core machine
async def test_every_read_is_recorded_once_although_audit_was_killed(stack, http):
    admin = await Person.login(http, hsa_id=staff_of(UNIT, "message_administrator")[0]["hsa_id"])
    message_id, conversation_id = await new_message(http, admin, "audit-completeness")
    started = time.monotonic()
    await open_many(stack, admin, message_id, READS // 2)
    first_half_s = time.monotonic() - started
    stack.kill_service("audit")  # SIGKILL: mid-batch, no offset commit, no clean shutdown
    await open_many(stack, admin, message_id, READS // 4)  # reads go on while audit is down
    restart_s = await asyncio.to_thread(stack.start_service, "audit")
    await open_many(stack, admin, message_id, READS - READS // 2 - READS // 4)

    read_s = time.monotonic() - started
    records = await eventually(lambda: all_recorded(stack, conversation_id, READS),
                               timeout=420, what=f"{READS} access records")
    print(f"first {READS // 2} reads in {first_half_s:.1f}s; audit restart {restart_s:.1f}s")
    print(f"{READS} reads in {read_s:.1f}s (audit killed and restarted among them); all "
          f"recorded after {time.monotonic() - started:.1f}s, "
          f"{sum(r['recovered'] for r in records)} of them by reconciliation")
    logged = await access_log(stack, conversation_id)
    assert len(logged) == READS
    assert len(records) == READS and {r["event_id"] for r in records} == logged
    await assert_the_log_verifies(stack)


async def test_an_access_the_consumer_dead_letters_is_recovered(stack, http):
    """The audit database refuses the consumer's records of this conversation (a trigger the
    owner adds), so the consumer fails three times and dead-letters each event; the
    reconciliation job then records them from the access log, flagged as recovered."""
    admin = await Person.login(http, hsa_id=staff_of(UNIT, "message_administrator")[0]["hsa_id"])
    message_id, conversation_id = await new_message(http, admin, "audit-dead-letter")
    owner = stack.cfg.database_url("platform", "audit").replace("+psycopg", "")
    trigger = f"refuse_{conversation_id.replace('-', '_')}"[:60]
    async with await psycopg.AsyncConnection.connect(owner, autocommit=True) as conn:
        await conn.execute(
            f"CREATE TRIGGER {trigger} BEFORE INSERT ON audit_records FOR EACH ROW "
            f"WHEN (NEW.subject = '{conversation_id}' AND NOT NEW.recovered) "
            "EXECUTE FUNCTION audit_reject_change()")
    try:
        await open_many(stack, admin, message_id, 3)
        # Three failed tries per event, then the reconciliation's grace: room for a busy machine.
        letters = await eventually(lambda: dead_letters(stack, conversation_id, 3),
                                   timeout=120, what="three dead-lettered access events")
        records = await eventually(lambda: all_recorded(stack, conversation_id, 3),
                                   timeout=120, what="recovered access records")
    finally:
        async with await psycopg.AsyncConnection.connect(owner, autocommit=True) as conn:
            await conn.execute(f"DROP TRIGGER {trigger} ON audit_records")
    assert all(r["event_id"] in letters for r in records) and len(records) == 3
    assert await access_log(stack, conversation_id) == {r["event_id"] for r in records}
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "audit"),
                                 follow_redirects=True) as audit:
        metrics = (await audit.get("/metrics")).text
    assert 'audit_reconciliation_recovered_total{source="careunit-mailbox"}' in metrics
    await assert_the_log_verifies(stack)


async def dead_letters(stack, conversation_id: str, expected: int) -> set[str] | None:
    """Event ids of MessageOpened events of the conversation on the region's dlq.audit."""
    parts = [tp for tp in await inspect.all_partitions(stack) if tp.topic == f"{stack.cfg.region}.dlq.audit"]
    if not parts:
        return None
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_clients.admin(stack))
    await consumer.start()
    found: set[str] = set()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                for record in batch:
                    if (record.key or b"").decode() != conversation_id:
                        continue
                    letter = json.loads(record.value)
                    event = json.loads(base64.b64decode(letter["value_b64"]))
                    if event["type"] == OPENED:
                        found.add(event["event_id"])
    finally:
        await consumer.stop()
    return found if len(found) >= expected else None


async def assert_the_log_verifies(stack) -> None:
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "audit"), timeout=120) as a:
        body = (await a.get("/v1/verify", headers={
            "X-Internal-Api-Key": stack.cfg.internal_credential("operator")})).json()
    assert body["ok"] and body["first_broken_seq"] is None, body
    assert body["checkpoints"] >= 1
    env = {**os.environ, **stack.specs["audit"].env}
    started = time.monotonic()
    proc = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "services.audit", "verify", "--from-topic"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["ok"]
    print(f"verify --from-topic: {proc.stdout.strip()} in {time.monotonic() - started:.1f}s")


async def test_the_access_log_endpoint_is_internal_and_bounded(stack, http):
    url = service_url(stack.cfg, "careunit-mailbox")
    key = {"X-Internal-Api-Key": stack.cfg.internal_credential("audit")}  # audit reads it
    async with httpx.AsyncClient(base_url=url) as unit:
        assert (await unit.get("/internal/v1/access-log")).status_code == 401
        assert (await unit.get("/internal/v1/access-log",
                               headers={"X-Internal-Api-Key": "wrong"})).status_code == 401
        assert (await unit.get("/internal/v1/access-log", params={"limit": 1001},
                               headers=key)).status_code == 422
        page = (await unit.get("/internal/v1/access-log", params={"limit": 2},
                               headers=key)).json()
    assert set(page) == {"items", "next_after"}
    assert (await http.get("/api/careunit/internal/v1/access-log", headers=key)).status_code \
        == 404  # the gateway does not pass internal endpoints on

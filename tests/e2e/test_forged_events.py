"""Forged mailbox key announcements on the care-unit mailbox's topic are never used: an
unsigned one with a future timestamp, one signed by an attacker's key, and a genuinely
signed one that is not newer than the key already known (a replay). Each goes to the patient
mailbox's dead-letter topic with its reason, and the next patient message is still sealed
to the care unit's real key (the unit's administrator can open it)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.services import _dev_announcement_key
from services.messaging.keys import AnnouncementSigner
from shared.crypto import sealing
from shared.events import Source, new_event
from shared.events.contracts import MailboxKeyPublished
from shared.events.topics import CAREUNIT_MAILBOX, dead_letter, on_broker
from shared.kafka import encode
from tests.e2e import inspect, kafka_clients
from tests.e2e.support import SEED, Person, eventually, staff_of

pytestmark = pytest.mark.e2e
UNIT = SEED["care_units"][0]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def attacker_key() -> str:
    return _b64(sealing.public_bytes(sealing.generate_private_key()))


def announcement(key_id: str, version: int | None) -> MailboxKeyPublished:
    return MailboxKeyPublished(mailbox="careunit", key_id=key_id, suite=sealing.SUITE_ID,
                               public_key=attacker_key(), key_version=version)


async def peer_keys(stack) -> dict[str, int | None]:
    dsn = stack.cfg.database_url("patient", "patient_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT key_id, version FROM peer_keys WHERE mailbox = 'careunit'")).fetchall()
    return dict(rows)


async def dead_letters(stack, keys: set[str]) -> dict[str, str]:
    """The reasons of the dead letters keyed by `keys`, once all are there. Read to the end of
    every partition: one fetch need not bring them all (the keys fall in several partitions, and a
    partition's first fetch can come after another's on a busy broker)."""
    topic = on_broker(stack.cfg.region, dead_letter("patient-mailbox"))
    parts = [tp for tp in await inspect.all_partitions(stack) if tp.topic == topic]
    if not parts:
        return {}
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_clients.admin(stack))
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        found: dict[str, str] = {}
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    if r.key and r.key.decode() in keys:
                        found[r.key.decode()] = json.loads(r.value)["reason"]
        return found if set(found) == keys else {}
    finally:
        await consumer.stop()


async def test_forged_key_announcements_are_dead_lettered_and_never_used(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as http:
        patient = await Person.login(http, personnummer=SEED["patients"][0]["personnummer"])
        admin = await Person.login(
            http, hsa_id=staff_of(UNIT["unit_id"], "message_administrator")[0]["hsa_id"])
        # The unit's real key has arrived (a first message can be sent).
        assert (await patient.submit(UNIT["unit_id"], "renew_prescription",
                                     text="first")).status_code == 201
        real = await peer_keys(stack)
        real_id = max(real, key=lambda k: real[k] or 0)
        real_version = real[real_id]
        assert real_version is not None  # signed and versioned

        unsigned, wrongly, stale = (f"careunit-forged-{n}-{uuid.uuid4().hex}" for n in range(3))
        attacker = AnnouncementSigner(_b64(Ed25519PrivateKey.generate().private_bytes_raw()))
        genuine = AnnouncementSigner(_dev_announcement_key(stack.cfg, "careunit-mailbox"))
        forged = [announcement(unsigned, None),
                  attacker.sign(announcement(wrongly, real_version + 1000)),
                  genuine.sign(announcement(stale, real_version))]
        source = Source(service="careunit-mailbox", region=stack.cfg.region)
        future = datetime.now(UTC) + timedelta(days=365)
        producer = kafka_clients.producer(stack, "careunit-mailbox")
        await producer.start()
        try:
            for data in forged:
                event = new_event(data, source=source, subject=data.key_id)
                event = event.model_copy(update={"occurred_at": future})
                await producer.send_and_wait(on_broker(stack.cfg.region, CAREUNIT_MAILBOX), encode(event),
                                             key=data.key_id.encode())
        finally:
            await producer.stop()

        reasons = await eventually(lambda: dead_letters(stack, {unsigned, wrongly, stale}),
                                   what="the forged announcements dead-lettered")
        assert reasons == {
            unsigned: "rejected: unsigned key announcement",
            wrongly: "rejected: key announcement signature does not verify",
            stale: f"rejected: stale key announcement: version {real_version} is not newer "
                   f"than {real_version}"}
        assert await peer_keys(stack) == real

        marker = f"AFTER-FORGERY-{uuid.uuid4().hex}"
        submitted = await patient.submit(UNIT["unit_id"], "renew_prescription", text=marker)
        assert submitted.status_code == 201, submitted.text
        message_id = submitted.json()["message_id"]

        async def opened():
            r = await admin.unit("POST", f"/v1/messages/{message_id}/open")
            return r if r.status_code == 200 else None
        read = await eventually(opened, what="the unit opens the message")
        assert marker in read.json()["text"]
    dsn = stack.cfg.database_url("careunit", "careunit_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        sealed_to = (await (await conn.execute(
            "SELECT sealed_key_id FROM unit_messages WHERE message_id = %s",
            (message_id,))).fetchone())
    assert sealed_to == (real_id,)

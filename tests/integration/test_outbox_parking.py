"""One row that can never be published must not stop the rows behind it: the relay parks it
(with the reason, counted in outbox_parked_rows) and the rest flows on, in order."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY
from sqlalchemy import select

from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered
from shared.kafka import make_producer
from shared.outbox_relay import OutboxRelay
from tests.integration.conftest import outbox_table
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")


async def enqueue_raw(engine, topic: str, key: str, payload: bytes) -> uuid.UUID:
    """A row as a buggy or abused writer could leave it (the payload is opaque to the relay)."""
    event_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(outbox_table.insert().values(
            event_id=event_id, topic=topic, key=key, event_type="it.blob.v1", payload=payload))
    return event_id


async def parked(engine, event_id: uuid.UUID) -> tuple:
    async with engine.connect() as conn:
        return (await conn.execute(select(
            outbox_table.c.parked_at, outbox_table.c.park_reason, outbox_table.c.published_at)
            .where(outbox_table.c.event_id == event_id))).one()


async def run_relay(infra, engine, outbox, name: str, until, timeout: float = 30):
    producer = make_producer(infra.cfg.kafka_bootstrap, name, infra.cfg.kafka_auth())
    await producer.start()
    relay = OutboxRelay(engine, outbox, producer, name=name, fallback_poll_s=0.1)
    task = asyncio.create_task(relay.run())
    try:
        return await until()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


async def test_an_oversized_row_is_parked_and_the_rows_behind_it_are_published(
        infra, scratch_engine, outbox, topic):
    name = f"it-park-{topic}"
    # Larger than the broker (and the client) take: 1 MiB by default.
    huge = await enqueue_raw(scratch_engine, topic, "conv", b"x" * (1_300_000))
    bad_topic = await enqueue_raw(scratch_engine, "no spaces allowed!", "conv", b"{}")
    later = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE, subject="conv")
             for i in range(3)]
    async with scratch_engine.begin() as conn:
        for e in later:
            await outbox.enqueue(conn, topic, "conv", e)

    records = await run_relay(infra, scratch_engine, outbox, name, lambda: read_all(
        infra.cfg, topic, expect=3, timeout=60))

    assert [next(i for i, e in enumerate(later) if str(e.event_id).encode() in r.value)
            for r in records] == [0, 1, 2]  # all of them, in order, nothing else
    huge_state, topic_state = await parked(scratch_engine, huge), await parked(
        scratch_engine, bad_topic)
    assert huge_state[0] is not None and huge_state[1] == "too large for the broker"
    assert topic_state[0] is not None and topic_state[1] == "invalid topic"
    assert huge_state[2] is None and topic_state[2] is None  # parked, not published
    assert REGISTRY.get_sample_value("outbox_parked_rows", {"outbox": name}) >= 2


async def test_a_row_the_broker_refuses_as_too_large_is_parked_too(infra, scratch_engine,
                                                                   outbox, topic):
    """The client lets it through (under its own 1 MiB) but the topic takes at most 20 kB."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.cfg.kafka_bootstrap,
                                **infra.cfg.kafka_auth().client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1,
                                            topic_configs={"max.message.bytes": "20000"})])
    finally:
        await admin.close()
    refused = await enqueue_raw(scratch_engine, topic, "k", b"y" * 60_000)
    after = await enqueue_raw(scratch_engine, topic, "k", b"small")

    async def after_published():
        for _ in range(300):  # a minute: a new topic's first produce is slow on a busy machine
            if (await parked(scratch_engine, after))[2] is not None:
                return True
            await asyncio.sleep(0.2)
        return False

    assert await run_relay(infra, scratch_engine, outbox, f"it-park2-{topic}", after_published)
    state = await parked(scratch_engine, refused)
    assert state[0] is not None and state[1] == "too large for the broker"

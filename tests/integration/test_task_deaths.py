"""The paths that used to end a consumer or a relay for good (its task raised, it was only
logged, and nothing restarted it): each now leaves the task running. Failures are injected
into the real components, on real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError, KafkaConnectionError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from devstack.people import eventually
from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered
from shared.events.topics import dead_letter
from shared.inbox import EventConsumer
from shared.kafka import encode, make_producer
from shared.outbox_relay import OutboxRelay
from tests.integration.conftest import effects, inbox_table
from tests.integration.test_inbox import apply_effect, consume_until
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")
HANDLERS = {"identity.patient_registered.v1": apply_effect}


def event(patient: str):
    return new_event(PatientRegistered(patient_id=patient), source=SOURCE, subject=patient)


async def applied(engine, e) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(effects.c.applied).where(
            effects.c.event_id == str(e.event_id)))).first() is not None


@pytest.fixture
async def producer(infra):
    p = make_producer(infra.cfg.kafka_bootstrap, "it-deaths", infra.cfg.kafka_auth())
    await p.start()
    yield p
    await p.stop()


async def test_an_offset_commit_refused_after_a_rebalance_does_not_end_the_consumer(
        infra, scratch_engine, topic, producer, monkeypatch):
    refused = []
    real_commit = AIOKafkaConsumer.commit

    async def commit_after_the_group_moved_on(self, offsets=None):
        if not refused:
            refused.append(offsets)
            raise CommitFailedError("the group has already rebalanced")
        return await real_commit(self, offsets)

    monkeypatch.setattr(AIOKafkaConsumer, "commit", commit_after_the_group_moved_on)
    first, second = event("c-1"), event("c-2")
    consumer = EventConsumer(name=f"consumer-{topic}", topics=[topic],
                             bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(), engine=scratch_engine,
                             inbox=inbox_table, handlers=HANDLERS, producer=producer)
    await producer.send_and_wait(topic, encode(first), key=b"k")

    async def second_applied() -> bool:
        # The second event goes out once the first one's commit was refused (offsets are
        # committed at the first idle round at the latest), and must still be applied.
        if refused and not await applied(scratch_engine, second):
            await producer.send_and_wait(topic, encode(second), key=b"k")
            await asyncio.sleep(0.5)
        return await applied(scratch_engine, second)

    await consume_until(consumer, second_applied)  # fails if the consumer task died
    assert refused


class BrokerAwayAtFirst:
    """The consumer's producer while Kafka is down: dead letters fail a few times."""

    def __init__(self, producer, failures: int) -> None:
        self._producer, self.failures = producer, failures

    async def send_and_wait(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise KafkaConnectionError("Unable to bootstrap from kafka")
        return await self._producer.send_and_wait(*args, **kwargs)


async def test_a_dead_letter_sent_while_kafka_is_down_is_retried_not_fatal(
        infra, scratch_engine, topic, producer):
    away = BrokerAwayAtFirst(producer, failures=3)
    name = f"consumer-{topic}"
    consumer = EventConsumer(name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(),
                             engine=scratch_engine, inbox=inbox_table, handlers=HANDLERS,
                             producer=away)
    good = event("d-1")
    await producer.send_and_wait(topic, b"{not json", key=b"k")
    await producer.send_and_wait(topic, encode(good), key=b"k")

    async def good_applied() -> bool:
        return await applied(scratch_engine, good)

    await consume_until(consumer, good_applied)
    assert away.failures == 0
    letters = await read_all(infra.cfg, dead_letter(name), expect=1)
    assert [json.loads(r.value)["reason"].split(":")[0] for r in letters] == [
        "undecodable envelope"]


async def test_the_relays_purge_failing_does_not_end_the_relay(infra, scratch_engine, outbox,
                                                               topic, producer):
    relay = OutboxRelay(scratch_engine, outbox, producer, name="it-purge", fallback_poll_s=0.1)

    purges: list[int] = []

    async def database_away() -> int:
        purges.append(1)
        raise OperationalError("DELETE", {}, Exception("connection refused"))

    relay.purge_published = database_away  # the first idle round purges
    task = asyncio.create_task(relay.run())
    try:
        # The first idle round comes after a first (empty) batch: on a loaded machine that
        # takes more than a fixed second. A relay the failure ended is done by the time the
        # attempt is seen (the raise and the task's end are one step of the event loop).
        async def tried() -> bool:
            return bool(purges) or task.done()
        await eventually(tried, timeout=60, what="the relay's first purge")
        assert purges and not task.done(), task.exception() if task.done() else "no purge"
        e = event("r-1")
        async with scratch_engine.begin() as conn:
            await outbox.enqueue(conn, topic, "k", e)
        records = await read_all(infra.cfg, topic, expect=1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(records) == 1 and str(e.event_id).encode() in records[0].value


async def test_processed_inbox_rows_are_purged_after_the_retention(infra, scratch_engine,
                                                                   topic, producer):
    name, other = f"consumer-{topic}", f"other-{topic}"
    old, recent, others_old = event("o-1"), event("o-2"), event("o-3")
    long_ago = datetime.now(UTC) - timedelta(days=8)
    async with scratch_engine.begin() as conn:
        await conn.execute(inbox_table.insert(), [
            {"consumer": name, "event_id": old.event_id, "processed_at": long_ago},
            {"consumer": name, "event_id": recent.event_id, "processed_at": datetime.now(UTC)},
            {"consumer": other, "event_id": others_old.event_id, "processed_at": long_ago}])
    consumer = EventConsumer(name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(),
                             engine=scratch_engine, inbox=inbox_table, handlers=HANDLERS,
                             producer=producer, retention=timedelta(days=7))
    assert await consumer.purge_processed() == 1
    async with scratch_engine.connect() as conn:
        left = set((await conn.execute(select(inbox_table.c.event_id).where(
            inbox_table.c.consumer.in_([name, other])))).scalars())
    assert left == {recent.event_id, others_old.event_id}  # only its own, only the old


async def test_the_consumer_purges_on_its_own_while_it_runs(infra, scratch_engine, topic,
                                                            producer):
    name = f"consumer-{topic}"
    stale = event("s-1")
    async with scratch_engine.begin() as conn:
        await conn.execute(inbox_table.insert().values(
            consumer=name, event_id=stale.event_id,
            processed_at=datetime.now(UTC) - timedelta(days=30)))
    consumer = EventConsumer(name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(),
                             engine=scratch_engine, inbox=inbox_table, handlers=HANDLERS,
                             producer=producer)
    await producer.send_and_wait(topic, encode(event("s-2")), key=b"k")

    async def stale_gone() -> bool:
        async with scratch_engine.connect() as conn:
            return (await conn.execute(select(inbox_table.c.event_id).where(
                inbox_table.c.event_id == stale.event_id))).first() is None

    await consume_until(consumer, stale_gone)

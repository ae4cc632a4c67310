"""The idempotent consumer: one effect per event however often it is delivered; bad records
go to the dead-letter topic with a reason and the consumer goes on."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest
from aiokafka.admin import NewTopic
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from shared.events import Source, new_event
from shared.events.contracts import CareUnitRegistered, PatientActivated, PatientRegistered
from shared.events.topics import dead_letter
from shared.inbox import BATCH_FALLBACKS, COMMIT_EVERY_S, EventConsumer, RejectEvent
from shared.kafka import encode, make_admin, make_producer
from tests.integration.conftest import effects, inbox_table
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")


async def apply_effect(conn, envelope, data: PatientRegistered) -> None:
    if data.patient_id == "reject-me":
        raise RejectEvent("patient cannot be applied")
    await conn.execute(insert(effects).values(event_id=str(envelope.event_id), applied=1)
                       .on_conflict_do_update(index_elements=["event_id"],
                                              set_={"applied": effects.c.applied + 1}))


async def consume_until(consumer: EventConsumer, done, timeout: float = 60) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await done():
            assert asyncio.get_running_loop().time() < deadline, "consumer did not finish"
            assert not task.done(), task.exception()
            await asyncio.sleep(0.2)
    finally:
        task.cancel()


async def test_same_event_twice_has_one_effect_and_bad_records_are_dead_lettered(
        infra, scratch_engine, topic):
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox", infra.cfg.kafka_auth())
    await producer.start()
    good = new_event(PatientRegistered(patient_id="p-1"), source=SOURCE, subject="p-1")
    rejected = new_event(PatientRegistered(patient_id="reject-me"), source=SOURCE, subject="x")
    broken_contract = good.model_copy(update={"data": {"patient_id": ""}}).model_dump_json()
    last = new_event(PatientRegistered(patient_id="p-2"), source=SOURCE, subject="p-2")
    for value in (encode(good), b"{not json", broken_contract.encode(), encode(good),
                  encode(rejected), encode(last)):
        await producer.send_and_wait(topic, value, key=b"k")

    name = f"consumer-{topic}"
    consumer = EventConsumer(
        name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(), engine=scratch_engine,
        inbox=inbox_table, handlers={"identity.patient_registered.v1": apply_effect},
        producer=producer)

    async def last_applied() -> bool:
        async with scratch_engine.connect() as conn:
            return (await conn.execute(select(effects.c.applied).where(
                effects.c.event_id == str(last.event_id)))).first() is not None
    await consume_until(consumer, last_applied)

    async with scratch_engine.connect() as conn:
        applied = (await conn.execute(select(effects.c.applied).where(
            effects.c.event_id == str(good.event_id)))).scalar_one()
        inbox_rows = (await conn.execute(select(func.count()).select_from(inbox_table).where(
            inbox_table.c.consumer == name))).scalar_one()
    assert applied == 1
    assert inbox_rows == 2  # good and last; the rejected one rolled back with its effect

    letters = await read_all(infra.cfg, dead_letter(name), expect=3)
    reasons = [json.loads(r.value)["reason"] for r in letters]
    await producer.stop()
    assert len(reasons) == 3
    assert reasons[0].startswith("undecodable envelope")
    assert "breaks its contract" in reasons[1] and "patient_id" in reasons[1]
    assert reasons[2] == "rejected: patient cannot be applied"


async def test_a_declared_consumer_skips_ignored_types_and_dead_letters_undeclared_ones(
        infra, scratch_engine, topic):
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox-declared", infra.cfg.kafka_auth())
    await producer.start()
    ignored = new_event(PatientActivated(patient_id="p-3", activated_at=datetime.now(UTC)),
                        source=SOURCE, subject="p-3")
    undeclared = new_event(CareUnitRegistered(unit_id="u", name="U", region="r",
                                              functional_email="u@example.org", services=[]),
                           source=SOURCE, subject="u")
    last = new_event(PatientRegistered(patient_id="p-4"), source=SOURCE, subject="p-4")
    for value in (encode(ignored), encode(undeclared), encode(last)):
        await producer.send_and_wait(topic, value, key=b"k")

    name = f"declared-{topic}"
    consumer = EventConsumer(
        name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap, auth=infra.cfg.kafka_auth(), engine=scratch_engine,
        inbox=inbox_table, handlers={"identity.patient_registered.v1": apply_effect},
        ignored=frozenset({"identity.patient_activated.v1"}), producer=producer)

    async def last_applied() -> bool:
        async with scratch_engine.connect() as conn:
            return (await conn.execute(select(effects.c.applied).where(
                effects.c.event_id == str(last.event_id)))).first() is not None
    await consume_until(consumer, last_applied)

    letters = await read_all(infra.cfg, dead_letter(name), expect=1)
    await producer.stop()
    assert [json.loads(r.value)["reason"] for r in letters] == [
        "no handler for identity.care_unit_registered.v1"]


async def test_a_fetched_batch_is_one_transaction_and_a_poison_event_is_dead_lettered_alone(
        infra, scratch_engine, topic):
    """Records fetched together from one partition are applied in one transaction; when one
    of them breaks that transaction (an SQL error), the batch is rolled back and applied one
    event at a time: the others apply once, the poison event alone is dead-lettered."""
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox-batch", infra.cfg.kafka_auth())
    await producer.start()
    txids: dict[str, int] = {}

    async def effect_in_txid(conn, envelope, data: PatientRegistered) -> None:
        if data.patient_id == "poison":
            await conn.execute(text("SELECT 1 / 0"))  # aborts the whole transaction
        txids[str(envelope.event_id)] = await conn.scalar(text("SELECT txid_current()"))
        await apply_effect(conn, envelope, data)

    clean = [new_event(PatientRegistered(patient_id=f"b-{i}"), source=SOURCE, subject="b")
             for i in range(20)]
    poisoned = [new_event(PatientRegistered(patient_id=p), source=SOURCE, subject="b")
                for p in ("c-1", "poison", "c-2")]
    poisoned_topic = f"{topic}-poisoned"
    for target, events in ((topic, clean), (poisoned_topic, poisoned)):
        for event in events:  # sent together: one record batch, fetched at once
            await producer.send(target, encode(event), key=b"k")
    await producer.flush()

    consumers = [EventConsumer(
        name=f"batch-{t}", topics=[t], bootstrap=infra.cfg.kafka_bootstrap,
        auth=infra.cfg.kafka_auth(), engine=scratch_engine, inbox=inbox_table,
        handlers={"identity.patient_registered.v1": effect_in_txid}, producer=producer)
        for t in (topic, poisoned_topic)]
    wanted = [str(e.event_id) for e in clean + poisoned if e is not poisoned[1]]

    async def all_applied() -> bool:
        async with scratch_engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(effects).where(
                effects.c.event_id.in_(wanted)))).scalar_one() == len(wanted)
    fallbacks = BATCH_FALLBACKS.labels(consumers[1].name)._value.get()
    tasks = [asyncio.create_task(c.run()) for c in consumers[1:]]
    try:
        await consume_until(consumers[0], all_applied)
    finally:
        for task in tasks:
            task.cancel()

    async with scratch_engine.connect() as conn:
        counts = (await conn.execute(select(effects.c.applied).where(
            effects.c.event_id.in_(wanted)))).scalars().all()
    assert counts == [1] * len(wanted)
    assert len({txids[str(e.event_id)] for e in clean}) < len(clean) / 2  # batched
    assert BATCH_FALLBACKS.labels(consumers[1].name)._value.get() == fallbacks + 1
    letters = await read_all(infra.cfg, consumers[1].dead_letter_topic,
                             expect=1)
    await producer.stop()
    assert [json.loads(r.value)["reason"] for r in letters] == [
        "handler failed 3 times: DataError"]


async def test_records_fetched_from_several_partitions_are_applied_in_one_transaction(
        infra, scratch_engine, topic):
    """Under load a fetch brings a record or two from each of many partitions. They are
    applied together in one transaction, not one transaction per partition, and each
    partition's records keep their order."""
    admin = make_admin(infra.cfg.kafka_bootstrap, infra.cfg.kafka_auth())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox-partitions",
                             infra.cfg.kafka_auth())
    await producer.start()
    txids: dict[str, int] = {}
    applied_order: list[str] = []

    async def effect_in_txid(conn, envelope, data: PatientRegistered) -> None:
        txids[data.patient_id] = await conn.scalar(text("SELECT txid_current()"))
        applied_order.append(data.patient_id)
        await apply_effect(conn, envelope, data)

    events = {partition: [new_event(PatientRegistered(patient_id=f"p{partition}-{i}"),
                                    source=SOURCE, subject="s") for i in range(4)]
              for partition in range(3)}
    for i in range(4):  # interleaved over the partitions, all before the consumer starts
        for partition, chain in events.items():
            await producer.send(topic, encode(chain[i]), key=b"k", partition=partition)
    await producer.flush()
    consumer = EventConsumer(
        name=f"partitions-{topic}", topics=[topic], bootstrap=infra.cfg.kafka_bootstrap,
        auth=infra.cfg.kafka_auth(), engine=scratch_engine, inbox=inbox_table,
        handlers={"identity.patient_registered.v1": effect_in_txid}, producer=producer)

    async def all_applied() -> bool:
        return len(applied_order) == 12
    try:
        await consume_until(consumer, all_applied)
    finally:
        await producer.stop()
    for partition in range(3):  # each partition's records in their order
        ids = [f"p{partition}-{i}" for i in range(4)]
        assert [p for p in applied_order if p in ids] == ids
    shared = [tx for tx in set(txids.values())
              if len({p.split("-")[0] for p, t in txids.items() if t == tx}) > 1]
    assert shared, f"every transaction held one partition's records: {txids}"


@pytest.mark.parametrize(("gather_s", "fetch_min_bytes", "most_transactions"),
                         [(1.0, 1, 1), (0.0, 64 * 1024, 2), (0.0, 1, None)],
                         ids=["gathered", "held-by-the-broker", "at-once"])
async def test_a_batching_consumer_applies_events_arriving_apart_together(
        infra, scratch_engine, topic, gather_s, fetch_min_bytes, most_transactions):
    """Six events 150 ms apart. With gather_s (1 s), those that arrive within that long of a
    fetch's first record are applied with it, in one transaction. With fetch_min_bytes
    above what they weigh, the broker holds each fetch for its whole wait (1 s), so the
    750 ms they span fall into at most two fetches. With neither, they are applied apart.
    (The audit log's consumer batches: an append costs the same whatever its size.)"""
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox-gather", infra.cfg.kafka_auth())
    await producer.start()
    txids: dict[str, int] = {}

    async def effect_in_txid(conn, envelope, data: PatientRegistered) -> None:
        txids[data.patient_id] = await conn.scalar(text("SELECT txid_current()"))
        await apply_effect(conn, envelope, data)

    async def send(patient_id: str) -> None:
        await producer.send_and_wait(topic, encode(new_event(
            PatientRegistered(patient_id=patient_id), source=SOURCE, subject="s")), key=b"k")

    async def applied(*ids: str) -> None:
        deadline = time.monotonic() + 60
        while not all(i in txids for i in ids):
            assert time.monotonic() < deadline and not task.done(), "not applied"
            await asyncio.sleep(0.05)

    consumer = EventConsumer(
        name=f"gather-{topic}", topics=[topic], bootstrap=infra.cfg.kafka_bootstrap,
        auth=infra.cfg.kafka_auth(), engine=scratch_engine, inbox=inbox_table,
        handlers={"identity.patient_registered.v1": effect_in_txid}, producer=producer,
        gather_s=gather_s, fetch_min_bytes=fetch_min_bytes)
    task = asyncio.create_task(consumer.run())
    ids = [f"p{i}" for i in range(6)]
    try:
        await send("warm-up")  # the consumer has its partition and is waiting
        await applied("warm-up")
        for patient_id in ids:
            await send(patient_id)
            await asyncio.sleep(0.15)
        await applied(*ids)
    finally:
        task.cancel()
        await producer.stop()
    transactions = {txids[i] for i in ids}
    if most_transactions is None:
        assert len(transactions) > 2, txids
    else:
        assert len(transactions) <= most_transactions, txids


async def test_offsets_are_committed_at_most_once_a_second_and_at_the_first_idle_round(
        infra, scratch_engine, topic):
    """A stream of events spaced apart is applied event by event, but its offsets are
    committed at most once a second (one commit per fetched batch was one per event at light
    load); once the stream stops, the first idle round commits the last applied offset, so a
    restarted consumer would not see them again."""
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-inbox-commits", infra.cfg.kafka_auth())
    await producer.start()
    name = f"commits-{topic}"
    consumer = EventConsumer(
        name=name, topics=[topic], bootstrap=infra.cfg.kafka_bootstrap,
        auth=infra.cfg.kafka_auth(), engine=scratch_engine, inbox=inbox_table,
        handlers={"identity.patient_registered.v1": apply_effect}, producer=producer)
    events = [new_event(PatientRegistered(patient_id=f"p-c{i}"), source=SOURCE, subject="s")
              for i in range(21)]

    async def applied(n: int) -> bool:
        async with scratch_engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(effects).where(
                effects.c.event_id.in_([str(e.event_id) for e in events[:n]])))).scalar_one() == n

    def commits() -> float:
        return REGISTRY.get_sample_value("consumer_offset_commits_total",
                                         {"consumer": name}) or 0.0

    admin = make_admin(infra.cfg.kafka_bootstrap, infra.cfg.kafka_auth())
    await admin.start()
    task = asyncio.create_task(consumer.run())
    try:
        await producer.send_and_wait(topic, encode(events[0]), key=b"k")
        await wait_for(lambda: applied(1))  # joined the group and caught up
        before, started = commits(), time.monotonic()
        for event in events[1:]:  # one at a time, so each is its own fetched batch
            await producer.send_and_wait(topic, encode(event), key=b"k")
            await asyncio.sleep(0.03)
        await wait_for(lambda: applied(len(events)))
        streamed_s = time.monotonic() - started

        async def all_committed() -> bool:
            committed = await admin.list_consumer_group_offsets(name)
            return sum(m.offset for m in committed.values()) == len(events)
        await wait_for(all_committed)
        assert not task.done()
    finally:
        task.cancel()
        await admin.close()
        await producer.stop()
    sent = commits() - before
    assert sent < len(events) - 1  # not one per event
    assert sent <= streamed_s / COMMIT_EVERY_S + 2  # once a second, and the idle round's


async def wait_for(done, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await done():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)

"""The outbox relay publishes every committed event exactly once, even when the relay dies
between the commit and the publish."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered
from shared.kafka import make_producer
from shared.outbox_relay import OutboxRelay
from tests.integration.conftest import outbox_table

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")


async def read_all(cfg, topic: str, expect: int, timeout: float = 20) -> list:
    """Every record of `topic` (as the stack's admin), once `expect` have arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=cfg.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=None, **cfg.kafka_auth().client_options())
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += batch
            if len(records) >= expect:
                await asyncio.sleep(1.0)  # linger: a duplicate would arrive now
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += batch
                break
    finally:
        await consumer.stop()
    return records


class HangingProducer:
    """A producer whose broker never answers: the relay dies while holding claimed rows."""

    async def send(self, *args, **kwargs):
        await asyncio.Event().wait()


async def test_relay_killed_between_commit_and_publish_still_publishes_once(
        infra, scratch_engine, outbox, topic):
    event = new_event(PatientRegistered(patient_id="p-1"), source=SOURCE, subject="p-1")
    async with scratch_engine.begin() as conn:
        await outbox.enqueue(conn, topic, "p-1", event)

    dying = OutboxRelay(scratch_engine, outbox, HangingProducer(), name="it")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(dying.publish_batch(), timeout=1.0)  # killed mid-publish

    producer = make_producer(infra.cfg.kafka_bootstrap, "it-relay", infra.cfg.kafka_auth())
    await producer.start()
    relay = OutboxRelay(scratch_engine, outbox, producer, name="it")
    task = asyncio.create_task(relay.run())
    try:
        records = await read_all(infra.cfg, topic, expect=1)
    finally:
        task.cancel()
        await producer.stop()
    assert [r.key for r in records] == [b"p-1"]
    assert str(event.event_id).encode() in records[0].value
    async with scratch_engine.connect() as conn:
        published_at = (await conn.execute(select(outbox_table.c.published_at).where(
            outbox_table.c.event_id == event.event_id))).scalar_one()
    assert published_at is not None


async def test_relay_is_woken_by_notify_and_keeps_order_per_key(infra, scratch_engine, outbox,
                                                                 topic):
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-relay-order", infra.cfg.kafka_auth())
    await producer.start()
    relay = OutboxRelay(scratch_engine, outbox, producer, name="it", fallback_poll_s=30)
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(1.0)  # listening; the 30 s fallback poll can't explain a fast publish
    events = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE, subject="conv")
              for i in range(20)]
    try:
        for e in events:
            async with scratch_engine.begin() as conn:
                await outbox.enqueue(conn, topic, "conv", e)
        # Under the 30 s fallback poll, with room for a loaded machine's slow start.
        records = await read_all(infra.cfg, topic, expect=20, timeout=20)
    finally:
        task.cancel()
        await producer.stop()
    assert [str(e.event_id).encode() in r.value for e, r in zip(events, records)] == [True] * 20
    assert len(records) == 20


async def test_two_relays_on_one_outbox_keep_order_per_key(infra, scratch_engine, outbox, topic):
    """Replicas each run a relay; one publishes at a time, so order per key holds."""
    producers = [make_producer(infra.cfg.kafka_bootstrap, f"it-relay-{i}", infra.cfg.kafka_auth()) for i in range(2)]
    for p in producers:
        await p.start()
    relays = [OutboxRelay(scratch_engine, outbox, p, name="it", batch_size=3,
                          fallback_poll_s=0.05) for p in producers]
    events = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE, subject="conv")
              for i in range(60)]
    async with scratch_engine.begin() as conn:
        for e in events:
            await outbox.enqueue(conn, topic, "conv", e)
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        records = await read_all(infra.cfg, topic, expect=60, timeout=20)
    finally:
        for task in tasks:
            task.cancel()
        for p in producers:
            await p.stop()
    order = [next(i for i, e in enumerate(events) if str(e.event_id).encode() in r.value)
             for r in records]
    assert order == list(range(60))


async def test_published_rows_are_purged_after_the_retention(infra, scratch_engine, outbox,
                                                             topic):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    old, recent = (new_event(PatientRegistered(patient_id=p), source=SOURCE, subject=p)
                   for p in ("old", "recent"))
    async with scratch_engine.begin() as conn:
        for e in (old, recent):
            await outbox.enqueue(conn, topic, "k", e)
        await conn.execute(update(outbox_table).where(outbox_table.c.event_id == old.event_id)
                           .values(published_at=datetime.now(UTC) - timedelta(days=8)))
        await conn.execute(update(outbox_table).where(
            outbox_table.c.event_id == recent.event_id).values(published_at=datetime.now(UTC)))
    relay = OutboxRelay(scratch_engine, outbox, HangingProducer(), name="it")
    assert await relay.purge_published() >= 1
    async with scratch_engine.connect() as conn:
        left = set((await conn.execute(select(outbox_table.c.event_id).where(
            outbox_table.c.event_id.in_([old.event_id, recent.event_id])))).scalars())
    assert left == {recent.event_id}


async def test_one_statement_per_event_and_its_notify_comes_with_the_commit(
        infra, scratch_engine, topic):
    """The INSERT carries the NOTIFY: one round trip per event; a rolled-back savepoint
    takes its notification away with its row; a commit delivers one (folded) notification."""
    import psycopg
    from sqlalchemy import event as sa_event

    from shared.outbox import Outbox, _libpq_dsn

    channel = f"it_{topic.replace('-', '_')}"
    box = Outbox(outbox_table, channel=channel)
    events = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE, subject="k")
              for i in range(3)]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    async with await psycopg.AsyncConnection.connect(_libpq_dsn(scratch_engine),
                                                     autocommit=True) as listener:
        await listener.execute(f'LISTEN "{channel}"')

        async def heard(timeout: float) -> int:
            return len([n async for n in listener.notifies(timeout=timeout)])

        async with scratch_engine.begin() as conn:
            savepoint = await conn.begin_nested()
            await box.enqueue(conn, topic, "k", events[0])
            await savepoint.rollback()
        assert await heard(0.5) == 0
        sa_event.listen(scratch_engine.sync_engine, "before_cursor_execute", seen)
        try:
            async with scratch_engine.begin() as conn:
                for e in events[1:]:
                    await box.enqueue(conn, topic, "k", e)
                assert await heard(0.3) == 0  # nothing before the commit
        finally:
            sa_event.remove(scratch_engine.sync_engine, "before_cursor_execute", seen)
        assert await heard(2.0) == 1
    assert len(statements) == 2, statements  # no SELECT pg_notify of its own
    async with scratch_engine.connect() as conn:
        kept = set((await conn.execute(select(outbox_table.c.event_id).where(
            outbox_table.c.event_id.in_([e.event_id for e in events])))).scalars())
    assert kept == {events[1].event_id, events[2].event_id}


async def test_enqueue_many_is_one_statement_in_order_with_its_notify_at_commit(
        infra, scratch_engine, topic):
    """A batch of events: one INSERT (compiled once, whatever the batch's size), the outbox
    ids in the order given (the relay publishes in id order), one notification at commit
    and none before, and a rolled-back savepoint takes its rows and notification away."""
    import psycopg
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine.default import CACHE_MISS

    from shared.outbox import Outbox, _libpq_dsn

    channel = f"it_{topic.replace('-', '_')}_many"
    box = Outbox(outbox_table, channel=channel)

    def batch(n: int, key: str) -> list:
        return [(topic, f"{key}-{i % 3}", new_event(PatientRegistered(patient_id=f"p-{i}"),
                                                    source=SOURCE, subject=key))
                for i in range(n)]
    dropped, sizes = batch(4, "dropped"), [batch(n, f"kept{n}") for n in (2, 7, 40)]
    statements: list[tuple[str, bool]] = []

    def seen(_conn, _cursor, statement, _params, context, _many) -> None:
        statements.append((statement, context.cache_hit is CACHE_MISS))

    async with await psycopg.AsyncConnection.connect(_libpq_dsn(scratch_engine),
                                                     autocommit=True) as listener:
        await listener.execute(f'LISTEN "{channel}"')

        async def heard(timeout: float) -> int:
            return len([n async for n in listener.notifies(timeout=timeout)])

        async with scratch_engine.begin() as conn:
            savepoint = await conn.begin_nested()
            await box.enqueue_many(conn, dropped)
            await savepoint.rollback()
        assert await heard(0.5) == 0
        sa_event.listen(scratch_engine.sync_engine, "before_cursor_execute", seen)
        try:
            async with scratch_engine.begin() as conn:
                for items in sizes:
                    await box.enqueue_many(conn, items)
                await box.enqueue_many(conn, [])
                assert await heard(0.3) == 0  # nothing before the commit
        finally:
            sa_event.remove(scratch_engine.sync_engine, "before_cursor_execute", seen)
        assert await heard(2.0) == 1
    assert len(statements) == 3, statements  # one per batch, none for an empty one
    assert [miss for _, miss in statements[1:]] == [False, False]  # compiled once
    kept = [e for items in sizes for _, _, e in items]
    async with scratch_engine.connect() as conn:
        stored = (await conn.execute(
            select(outbox_table.c.event_id, outbox_table.c.key)
            .where(outbox_table.c.event_id.in_([e.event_id for e in kept + [
                e for _, _, e in dropped]])).order_by(outbox_table.c.id))).all()
    assert [row.event_id for row in stored] == [e.event_id for e in kept]
    assert [row.key for row in stored] == [key for items in sizes for _, key, _ in items]

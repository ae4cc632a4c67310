"""The relay's batch in one statement (shared.outbox_relay): the outbox's advisory lock,
folded into the claim, is taken once per claim whatever the rows, and while one relay holds
it another gets nothing (so two relays never publish interleaved); the claim marks its rows
published, and a failed publish takes the mark back; the backlog gauge follows an outage."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, event, select, text

from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered
from shared.outbox import Outbox, define_outbox
from shared.outbox_relay import OutboxRelay

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")


class Acknowledging:
    """Stands in for the producer: acknowledges at once and remembers what it was given."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, topic, value, key, headers) -> asyncio.Future:
        self.sent.append(value)
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class Hanging:
    """A broker that never answers: its relay holds the claim (and the lock) for ever."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def send(self, *args, **kwargs):
        self.called.set()
        await asyncio.Event().wait()


class Refusing:
    async def send(self, *args, **kwargs):
        raise KafkaConnectionError("broker away")


@pytest.fixture
async def own_outbox(fresh_schema):
    """An outbox table of its own (no other test's rows) and a channel, hence a lock, of its
    own."""
    engine = await fresh_schema("relay")
    metadata = MetaData()
    table = define_outbox(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine, Outbox(table, channel=f"it_relay_{uuid.uuid4().hex[:10]}")


async def enqueue(engine, outbox: Outbox, n: int) -> list:
    events = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE, subject="conv")
              for i in range(n)]
    async with engine.begin() as conn:
        await outbox.enqueue_many(conn, [("it-topic", "conv", e) for e in events])
    return events


def order(sent: list[bytes], events: list) -> list[int]:
    ids = [str(e.event_id) for e in events]
    return [ids.index(json.loads(value)["event_id"]) for value in sent]


async def pending(engine, outbox: Outbox) -> int:
    t = outbox.table
    async with engine.connect() as conn:
        return len((await conn.execute(select(t.c.id).where(t.c.published_at.is_(None)))).all())


async def test_a_second_relay_gets_nothing_while_the_first_publishes(own_outbox):
    engine, outbox = own_outbox
    events = await enqueue(engine, outbox, 6)
    stuck = Hanging()
    first = asyncio.create_task(
        OutboxRelay(engine, outbox, stuck, name="it-first", batch_size=3).publish_batch())
    await asyncio.wait_for(stuck.called.wait(), timeout=10)  # rows 1-3 claimed, lock held
    producer = Acknowledging()
    second = OutboxRelay(engine, outbox, producer, name="it-second", batch_size=3)
    try:
        # Without the lock, SKIP LOCKED would hand it rows 4-6, published before 1-3.
        assert await second.publish_batch() == 0
    finally:
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
    assert await pending(engine, outbox) == 6  # the cancelled claim's mark rolled back
    assert [await second.publish_batch() for _ in range(3)] == [3, 3, 0]
    assert order(producer.sent, events) == list(range(6))
    assert await pending(engine, outbox) == 0


async def test_the_lock_is_taken_once_per_claim_and_gates_the_scan(own_outbox):
    """From the claim's plan: the lock function runs once, however many rows are claimed,
    and while another session holds the lock the pending rows are not read at all."""
    engine, outbox = own_outbox
    await enqueue(engine, outbox, 5)
    relay = OutboxRelay(engine, outbox, Acknowledging(), name="it-explain", batch_size=10)
    compiled = relay._claim.compile(dialect=engine.dialect)

    async def plan() -> list[dict]:
        async with engine.connect() as conn:  # rolled back: nothing claimed for good
            found = (await conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + compiled.string,
                compiled.construct_params({"lock_key": relay._lock_key}))).scalar_one()
            await conn.rollback()
        nodes, todo = [], [found[0]["Plan"]]
        while todo:
            nodes.append(node := todo.pop())
            todo += node.get("Plans", [])
        return nodes

    def loops(nodes: list[dict], **match: str) -> list[int]:
        return [n["Actual Loops"] for n in nodes if match.items() <= n.items()]

    nodes = await plan()
    assert nodes[0]["Actual Rows"] == 5  # every pending row claimed under the lock
    assert loops(nodes, **{"Subplan Name": "CTE relay_lock"}) == [1]  # not once per row
    assert loops(nodes, **{"Index Name": "outbox_pending"}) == [1]
    async with engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": relay._lock_key})
        nodes = await plan()
        await holder.rollback()
    assert nodes[0]["Actual Rows"] == 0
    assert loops(nodes, **{"Index Name": "outbox_pending"}) == [0]  # never executed


async def test_a_batch_is_one_statement_and_a_failed_one_keeps_its_rows(own_outbox):
    engine, outbox = own_outbox
    name = f"it-relay-{uuid.uuid4().hex[:6]}"
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)
    producer = Acknowledging()
    relay = OutboxRelay(engine, outbox, producer, name=name, batch_size=10)
    events = await enqueue(engine, outbox, 3)
    assert await relay.publish_batch() == 3  # its first backlog count comes with it
    events += await enqueue(engine, outbox, 4)
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await relay.publish_batch() == 4
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements  # lock, claim and mark; no count (nothing left)
    assert order(producer.sent, events) == list(range(7))
    assert REGISTRY.get_sample_value("outbox_backlog", {"outbox": name}) == 0

    await enqueue(engine, outbox, 2)
    failing = OutboxRelay(engine, outbox, Refusing(), name=name, batch_size=10)
    with pytest.raises(KafkaConnectionError):
        await failing.publish_batch()
    assert await pending(engine, outbox) == 2  # the mark went with the failed transaction
    task = asyncio.create_task(failing.run())  # the broker stays away
    try:
        async with asyncio.timeout(10):
            while REGISTRY.get_sample_value("outbox_backlog", {"outbox": name}) != 2:
                await asyncio.sleep(0.05)  # counted while failing: the alert can see it
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize("linger_s", [0.5, 0.0])
async def test_a_lingering_relay_claims_rows_committed_apart_at_once(own_outbox, linger_s):
    """Three rows committed 100 ms apart, each waking the relay. With a linger (the
    notifier's sent mails, the audit's stream) it lets the later ones come and claims them
    in one transaction (one `published_at`, the claim's transaction time); without, it
    claims each as it comes."""
    engine, outbox = own_outbox
    relay = OutboxRelay(engine, outbox, Acknowledging(), name=f"it-linger-{uuid.uuid4().hex[:6]}",
                        fallback_poll_s=60, linger_s=linger_s)
    task = asyncio.create_task(relay.run())
    t = outbox.table

    async def published_at() -> list:
        async with engine.connect() as conn:
            return list((await conn.execute(select(t.c.published_at))).scalars())

    async def all_published(n: int) -> None:
        async with asyncio.timeout(10):  # well inside the 60 s fallback poll: by NOTIFY
            while len([p for p in await published_at() if p is not None]) < n:
                await asyncio.sleep(0.05)
    try:
        await asyncio.sleep(0.5)  # listening
        await enqueue(engine, outbox, 1)
        await all_published(1)
        first = set(await published_at())
        for _ in range(3):
            await enqueue(engine, outbox, 1)
            await asyncio.sleep(0.1)
        await all_published(4)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    claims = set(await published_at()) - first
    if linger_s:
        assert len(claims) == 1, claims
    else:
        assert len(claims) > 1, claims

"""Appending a consumed batch at once (services.audit.batch) against appending its events one
by one (store.append): on the same input, two logs get the same records (hashes and
signatures included), facts, units, reviews, checkpoints and outbox events; an event already
recorded is skipped alone; a batch that fails is applied one event at a time by the inbox,
and its poison event is dead-lettered alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bench.audit_workflow import mix, workflow
from services.audit import batch, store, tables
from services.audit.handlers import make_batch_handler, make_handlers
from services.audit.recording import Recording
from services.audit.review import ReviewPolicy
from services.audit.tables_stream import facts, record_units, reviews
from shared.events import Actor, Envelope, Source, new_event
from shared.events.contracts import MessageOpened, PatientRegistered
from shared.events.wiring import wire_name
from shared.inbox import BATCH_FALLBACKS, EventConsumer
from shared.kafka import encode, make_producer
from tests.integration import audit_log as log
from tests.integration.test_inbox import consume_until
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)  # one clock for both logs: recorded_at and signed_at are hashed


def recording_chain(every: int = 4) -> store.Chain:
    recording = Recording(outbox=log.chain().outbox, source=log.chain().source,
                          policy=ReviewPolicy(sample_rate=0.3))
    return replace(log.chain(every), after=recording.after_append,
                   after_batch=recording.after_batch, clock=lambda: NOW)


def legacy_open(of: Envelope, reader: str,
                basis: Literal["assigned"] | None) -> Envelope:
    """A read as an older producer sends it: no patient (looked up from the conversation)."""
    data = MessageOpened(conversation_id=of.subject, message_id=of.data["message_id"],
                         care_unit_id="u-1", staff_id=reader, staff_role="clinician",
                         access_basis=basis)
    return new_event(data, source=of.source, subject=of.subject,
                     actor=Actor(id=reader, role="staff"))


async def contents(engine) -> dict[str, list]:
    async with engine.connect() as conn:
        def rows(table, order, leave_out=()):
            return conn.execute(select(*[c for c in table.c if c.name not in leave_out])
                                .order_by(*order))
        found = {
            "records": (await rows(tables.records, [tables.records.c.seq])).all(),
            "facts": (await rows(facts, [facts.c.seq])).all(),
            "units": (await rows(record_units, [record_units.c.seq, record_units.c.unit_id])).all(),
            "reviews": (await rows(reviews, [reviews.c.seq], ["selected_at"])).all(),
            "checkpoints": (await rows(tables.checkpoints, [tables.checkpoints.c.seq])).all(),
            "outbox": [_event(row) for row in (await rows(
                tables.outbox, [tables.outbox.c.id], ["id", "created_at"])).all()]}
    return {name: [tuple(row) for row in value] for name, value in found.items()}


def _event(row) -> tuple:
    """An outbox row without what differs by the moment it was made (a checkpoint event's
    new ids and both events' occurred_at); the stream records' ids are derived, kept."""
    payload = json.loads(row.payload)
    payload.pop("occurred_at")
    if payload["type"] == "audit.checkpoint_signed":
        payload.pop("event_id")
        payload.pop("correlation_id")
        return (row.topic, row.key, row.event_type, json.dumps(payload, sort_keys=True))
    return (str(row.event_id), row.topic, row.key, row.event_type,
            json.dumps(payload, sort_keys=True))


@pytest.fixture
async def two_logs(infra, fresh_schema):
    logs = [await log.make_log(infra, fresh_schema, f"batch_{side}") for side in "ab"]
    yield [runtime for _owner, runtime in logs]
    for _owner, runtime in logs:
        await runtime.dispose()


@pytest.fixture
async def one_log(infra, fresh_schema):
    _owner, runtime = await log.make_log(infra, fresh_schema, "batch")
    yield runtime
    await runtime.dispose()


async def test_a_batch_appends_what_one_by_one_appends(two_logs):
    one_by_one, batched = two_logs
    earlier = workflow(0)[:6]  # submitted .. assigned: in the log before the batch
    stale = legacy_open(earlier[0], "s-clin-0", "assigned")  # patient from the stored facts
    events = mix(30)
    fresh = workflow(1)
    events += [fresh[0], legacy_open(fresh[0], "s-other", None),  # patient from the batch
               earlier[2], stale, events[3]]  # already recorded; twice in the batch
    chain = recording_chain()
    for engine in two_logs:
        async with engine.begin() as conn:
            for event in earlier:
                await store.append(conn, event, chain)
    async with one_by_one.begin() as conn:
        singles = [await store.append(conn, event, chain) for event in events]
    async with batched.begin() as conn:
        appended = await batch.append_batch(conn, events, chain)

    assert appended == [e for e in singles if e is not None]
    assert len(appended) == len(events) - 2  # the recorded one and the repeat skipped
    a, b = await contents(one_by_one), await contents(batched)
    for name in a:
        assert a[name] == b[name], name
    assert len(a["checkpoints"]) == (6 + len(appended)) // 4 and a["reviews"]
    patients = {row[0]: row[2] for row in a["facts"]}
    legacy_seqs = [e.seq for e in appended if e.event_id in (str(stale.event_id),
                                                             str(events[-4].event_id))]
    assert [patients[s] for s in legacy_seqs] == [fresh[0].data["patient_id"],
                                                  earlier[0].data["patient_id"]]
    for engine in two_logs:
        result = await log.verify(engine)
        assert (result.ok, result.records) == (True, 6 + len(appended))


async def test_a_batch_of_recorded_events_appends_nothing_and_the_next_continues(one_log):
    engine = one_log
    chain = recording_chain()
    events = workflow(2)
    async with engine.begin() as conn:
        assert len(await batch.append_batch(conn, events[:5], chain)) == 5
    async with engine.begin() as conn:
        assert await batch.append_batch(conn, events[:5], chain) == []
        again = await batch.append_batch(conn, events[4:], chain)  # the head remembered
        single = await store.append(conn, workflow(3)[0], chain)
    assert [e.seq for e in again] == list(range(6, 12)) and single and single.seq == 12
    assert (await log.verify(engine)).ok


async def test_a_failing_batch_is_applied_one_event_at_a_time(infra, one_log, topic):
    """Through the inbox as the service runs it: a clean partition's batch goes through the
    batch handler; a batch with a poison event (a source service name longer than the log's
    column: valid as an event, refused by the database) fails whole, then its events are
    appended one by one and the poison one dead-lettered."""
    engine, chain = one_log, recording_chain(every=1000)
    producer = make_producer(infra.cfg.kafka_bootstrap, "it-audit-batch", infra.cfg.kafka_auth())
    await producer.start()
    clean, poisoned = workflow(4), workflow(5)
    poison = new_event(PatientRegistered(patient_id="p-x"), subject="p-x",
                       source=Source(service="s" * 150, region=clean[0].source.region))
    poisoned.insert(3, poison)
    batches = 0
    record_batch = make_batch_handler(chain)

    async def counted(conn, items) -> None:
        nonlocal batches
        batches += 1
        await record_batch(conn, items)
    handlers = {wire_name(c): handler for c, handler in make_handlers(chain).items()}
    consumers = []
    for name, events in ((f"{topic}-clean", clean), (f"{topic}-poisoned", poisoned)):
        for event in events:  # sent together: one record batch, fetched at once
            await producer.send(name, encode(event), key=b"k")
        consumers.append(EventConsumer(
            name=f"audit-{name}", topics=[name], bootstrap=infra.cfg.kafka_bootstrap,
            auth=infra.cfg.kafka_auth(), engine=engine, inbox=tables.inbox,
            handlers=handlers, producer=producer, batch_handler=counted))
    await producer.flush()
    wanted = [uuid.UUID(str(e.event_id)) for e in clean + poisoned if e is not poison]

    async def all_recorded() -> bool:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(tables.records).where(
                tables.records.c.event_id.in_(wanted))) == len(wanted)
    fallbacks = BATCH_FALLBACKS.labels(consumers[1].name)._value.get()
    other = asyncio.create_task(consumers[1].run())
    try:
        await consume_until(consumers[0], all_recorded)
    finally:
        other.cancel()
    letters = await read_all(infra.cfg, consumers[1].dead_letter_topic, expect=1)
    await producer.stop()
    assert [json.loads(r.value)["reason"] for r in letters] == [
        "handler failed 3 times: DataError"]
    assert BATCH_FALLBACKS.labels(consumers[1].name)._value.get() == fallbacks + 1
    assert batches >= 2  # the clean batch, and the poisoned one before it failed
    result = await log.verify(engine)
    assert (result.ok, result.records) == (True, len(wanted))


@pytest.mark.parametrize("move", ["past the log", "back", "in place", "onto another hash"])
async def test_the_runtime_role_moves_the_head_only_forward_onto_a_stored_record(
        one_log, move):
    """The guard of revision 0005: a batch moves the head by many, but never elsewhere."""
    engine = one_log
    async with engine.begin() as conn:
        appended = await batch.append_batch(conn, workflow(6), recording_chain())
    last = appended[-1].seq
    target = {"past the log": "seq = seq + 1", "back": "seq = seq - 1", "in place": "seq = seq",
              "onto another hash": "seq = seq + 1, hash = repeat('1', 64)"}[move]
    with pytest.raises(DBAPIError, match="only moves forward, onto a stored record"):
        async with engine.begin() as conn:
            if move == "onto another hash":  # a record there, with its own hash (zeros)
                await log.forge(conn, last + 1, template_seq=last)
            await conn.execute(text(f"UPDATE audit_chain_head SET {target}"))
    assert (await log.verify(engine)).ok


@pytest.mark.parametrize("every", [1000, 4])
async def test_a_batch_sends_its_stream_records_in_one_outbox_statement(one_log, every):
    """One outbox INSERT for the batch's stream records, split only where a checkpoint's
    event goes between them (as one by one, where the checkpoint follows its record)."""
    from sqlalchemy import event as sa_event

    engine, chain = one_log, recording_chain(every)
    events = workflow(7)  # seqs 1..11: checkpoints at 4 and 8 when every 4
    inserts: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO outbox"):
            inserts.append(statement)
    sa_event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with engine.begin() as conn:
            appended = await batch.append_batch(conn, events, chain)
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(appended) == len(events)
    assert len(inserts) == (1 if every == 1000 else 3 + 2)  # + each checkpoint's own event
    stream = [row for row in (await contents(engine))["outbox"] if len(row) == 5]  # see _event
    seqs = [json.loads(row[4])["data"]["seq"] for row in stream]
    assert seqs == sorted(seqs) and set(seqs) == {e.seq for e in appended}

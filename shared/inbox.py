"""Idempotent consumer: an inbox row (consumer, event_id) is written in the same transaction
as the effect, so a redelivered event is recognised and skipped; Kafka offsets are committed
only after the database commit.

A record that cannot be decoded, fails its contract, or is rejected by its handler goes to
the consumer's dead-letter topic with the reason, and the consumer goes on. Events of types
the consumer declared "ignored" are skipped (several types share a topic); any other type with
no handler is dead-lettered (see shared.events.wiring for the check at start-up).

Nothing here ends the consumer on its own: an offset commit refused because the group has
moved on (rebalance) is logged and the records come again to their new owner (the inbox drops
what was applied); a dead letter is retried until the broker takes it, before the offset
moves past its record. Processed rows are purged after a retention (long enough to recognise
any redelivery)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Uuid, func
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import logs
from shared.db import DATABASE_AWAY
from shared.dead_letters import dead_letter_value, validation_summary
from shared.events import Envelope, EventData, decode_data
from shared.events.topics import dead_letter, group_id, on_broker
from shared.inbox_batch import BatchHandler, Handler, apply_in_one_transaction, claim_statement
from shared.kafka import FETCH_MAX_WAIT_MS, NO_AUTH, KafkaAuth, make_consumer

__all__ = ["BatchHandler", "EventConsumer", "Handler", "RejectEvent", "dead_letter_value",
           "define_inbox", "validation_summary"]

log = logging.getLogger(__name__)

CONSUMED = Counter("events_consumed_total", "Events handled", ["consumer", "outcome"])
COMMITS_REFUSED = Counter("consumer_commits_refused_total",
                          "Offset commits refused after a rebalance", ["consumer"])


IDLE_ROUND_MS = FETCH_MAX_WAIT_MS
MAX_BATCH_RECORDS = 200
# Offsets of applied records are committed at most this often while records keep coming, and
# at the first idle round after them. An offset commit costs the broker about as much as the
# record itself (bench/offsetcommits.py); committing after every fetched batch made it one
# commit per event at light load. What a crash leaves uncommitted is redelivered, and the
# inbox drops it: the same as before, for at most this much more.
COMMIT_EVERY_S = 1.0
FINAL_COMMIT_S = 5.0
OFFSET_COMMITS = Counter("consumer_offset_commits_total", "Offset commits sent", ["consumer"])

BATCH_FALLBACKS = Counter("consumer_batch_fallbacks_total",
                          "Batches whose transaction failed, then applied one event at a time",
                          ["consumer"])


class _Ready(NamedTuple):
    """A record that decoded and has a handler: what applying it needs."""
    record: ConsumerRecord
    envelope: Envelope
    data: EventData
    handler: Handler


class RejectEvent(Exception):
    """Raised by a handler for an event that can never be applied (goes to dead letter)."""


def define_inbox(metadata: MetaData) -> Table:
    table = Table(
        "inbox", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    Index("inbox_processed_at", table.c.processed_at)  # for the purge
    return table


class EventConsumer:
    def __init__(self, *, name: str, topics: list[str], bootstrap: str, engine: AsyncEngine,
                 inbox: Table, handlers: Mapping[str, Handler], producer: AIOKafkaProducer,
                 max_handler_attempts: int = 3, ignored: frozenset[str] | None = None,
                 retention: timedelta = timedelta(days=7), purge_every_s: float = 3600,
                 owned: Mapping[str, frozenset[str]] | None = None,
                 region: str | None = None, auth: KafkaAuth = NO_AUTH,
                 batch_handler: BatchHandler | None = None, gather_s: float = 0.0,
                 fetch_min_bytes: int = 1) -> None:
        self.name, self._topics, self._bootstrap = name, topics, bootstrap
        # How long a fetch that brought records waits for more before they are applied
        # (0: at once). A consumer whose every batch costs a dozen statements whatever its
        # size (the audit log's chain head, its outbox and relay) trades that much latency
        # for batches several times larger under load; see _gather.
        self._gather_s = gather_s
        # The broker's side of the same trade: it holds a fetch until this much has arrived
        # (or its fetch wait, 1 s, has passed), so a busy topic comes in a few large fetches
        # instead of one per record (1: answered as soon as anything is there).
        self._fetch_min_bytes = fetch_min_bytes
        self._auth = auth
        # Topics and the handlers' wiring use logical names; the broker's names, the group id
        # and the dead-letter topic carry the region's prefix (None: names are the broker's,
        # as in the library's own tests).
        self._region = region
        self._engine, self._inbox, self._handlers = engine, inbox, handlers
        # Applies a batch's fresh events at once (shared.inbox_batch); the per-event handlers
        # still serve single events and a failed batch's one-at-a-time retry.
        self._batch_handler = batch_handler
        self._producer, self._max_attempts = producer, max_handler_attempts
        # None: a legacy wire-name map (no complete declaration), which skips unknown types.
        self._ignored = ignored
        # Topic -> wire names it may carry (shared.events.wiring); None: not checked.
        self._owned = owned
        self._retention, self._purge_every = retention, purge_every_s
        self._last_purge: float | None = None  # first purge on the first idle round
        self.running = False

    async def run(self) -> None:
        consumer = make_consumer(self._bootstrap, self._broker_name(self.name, group=True),
                                 [], self._auth, fetch_min_bytes=self._fetch_min_bytes)
        offsets = _PendingOffsets(consumer, lambda chosen: self._commit(consumer, chosen))
        consumer.subscribe([self._broker_name(t) for t in self._topics], listener=offsets)
        await consumer.start()
        self.running = True
        try:
            while True:
                # Records end the wait at once; the timeout only paces the idle rounds (the
                # purge, the commit after a burst), so it need not be shorter than the
                # broker's fetch wait.
                batches = await consumer.getmany(timeout_ms=IDLE_ROUND_MS,
                                                 max_records=MAX_BATCH_RECORDS)
                if batches and self._gather_s > 0:
                    batches = await self._gather(consumer, batches)
                if batches:
                    # One transaction for the whole fetch, whichever partitions its records
                    # came from: under load a fetch brings a record or two from each of many
                    # partitions, and a transaction per partition was then one per event.
                    # Each partition's records stay in their order.
                    await self.process_batch(
                        [record for records in batches.values() for record in records])
                for tp, records in batches.items():
                    offsets.applied(tp, records[-1].offset + 1)
                if not batches or offsets.due():
                    await offsets.commit()
                await self._purge_now_and_then()
        finally:
            self.running = False
            # Spares the next owner a redelivery where it can, but never holds up a stop (a
            # broker away would make the commit wait its whole request timeout).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(offsets.commit(), timeout=FINAL_COMMIT_S)
            await consumer.stop()

    async def _gather(self, consumer: AIOKafkaConsumer,
                      batches: dict[TopicPartition, list[ConsumerRecord]]
                      ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Adds what arrives within gather_s of the first records, up to MAX_BATCH_RECORDS;
        each partition's records stay in their order (a later fetch of a partition only
        brings records after the ones already here)."""
        count = sum(len(records) for records in batches.values())
        deadline = time.monotonic() + self._gather_s
        while count < MAX_BATCH_RECORDS and (left := deadline - time.monotonic()) > 0:
            more = await consumer.getmany(timeout_ms=max(int(left * 1000), 1),
                                          max_records=MAX_BATCH_RECORDS - count)
            for tp, records in more.items():
                batches.setdefault(tp, []).extend(records)
                count += len(records)
        return batches

    def _broker_name(self, name: str, group: bool = False) -> str:
        if self._region is None:
            return name
        return group_id(self._region, name) if group else on_broker(self._region, name)

    def _logical_name(self, broker_name: str) -> str:
        """The topic's name in the code (ownership is declared by it), without the region."""
        prefix = f"{self._region}." if self._region is not None else ""
        return broker_name.removeprefix(prefix) if prefix else broker_name

    @property
    def dead_letter_topic(self) -> str:
        return self._broker_name(dead_letter(self.name))

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict) -> None:
        OFFSET_COMMITS.labels(self.name).inc()
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group moved on (rebalance) or the partition went elsewhere: its new owner
            # reads these records again and the inbox drops what was applied here.
            COMMITS_REFUSED.labels(self.name).inc()
            log.warning("offset commit refused", extra={"consumer": self.name,
                                                        "error": type(exc).__name__})

    async def purge_processed(self) -> int:
        """Delete this consumer's processed-event rows older than the retention; returns how
        many went. Redelivery happens within minutes, so days of rows suffice to dedupe."""
        cutoff = datetime.now(UTC) - self._retention
        async with self._engine.begin() as conn:
            result = await conn.execute(self._inbox.delete().where(
                self._inbox.c.consumer == self.name, self._inbox.c.processed_at < cutoff))
        return result.rowcount

    async def _purge_now_and_then(self) -> None:
        if self._last_purge is not None and (
                time.monotonic() - self._last_purge < self._purge_every):
            return
        self._last_purge = time.monotonic()
        try:
            await self.purge_processed()
        except DATABASE_AWAY as exc:  # database away: next time
            log.warning("inbox purge failed", extra={"consumer": self.name,
                                                     "error": type(exc).__name__})

    async def process(self, record: ConsumerRecord) -> None:
        if (ready := await self._prepare(record)) is not None:
            await self._apply_with_retry(*ready)

    async def process_batch(self, records: list[ConsumerRecord]) -> None:
        """A fetch's records (from one partition or several, each partition's in order),
        applied in one transaction: one commit and one inbox insert for the batch instead of
        one per event. If that transaction fails, they are applied one at a time with the
        per-event handlers, batch handler or not (the inbox skips none twice: the batch
        rolled back whole), so a poison event is retried and dead-lettered alone and the
        others still apply."""
        ready = [item for record in records if (item := await self._prepare(record))]
        if len(ready) > 1:
            try:
                outcomes = await self._apply_batch(ready)
            except Exception as exc:  # noqa: BLE001 - each event gets its own chance below
                BATCH_FALLBACKS.labels(self.name).inc()
                log.info("batch failed, applying its events one at a time", extra={
                    "consumer": self.name, "events": len(ready), "error": type(exc).__name__})
            else:
                for outcome in outcomes:
                    CONSUMED.labels(self.name, outcome).inc()
                return
        for item in ready:
            logs.correlation_id.set(str(item.envelope.correlation_id))
            await self._apply_with_retry(*item)

    async def _prepare(self, record: ConsumerRecord) -> _Ready | None:
        """Decodes and checks a record; None when it was dead-lettered or is ignored."""
        try:
            envelope = Envelope.model_validate_json(record.value or b"")
        except ValidationError as exc:
            await self._dead_letter(record, f"undecodable envelope: {validation_summary(exc)}")
            return None
        if self._owned is not None and envelope.wire_name not in self._owned.get(
                self._logical_name(record.topic), frozenset()):
            # Only the owning service can write the topic, so the topic vouches for the
            # sender; any other type on it is forged or misrouted and never handled.
            await self._dead_letter(
                record, f"{envelope.wire_name} is not owned by topic {record.topic}")
            return None
        handler = self._handlers.get(envelope.wire_name)
        if handler is None:
            if self._ignored is not None and envelope.wire_name not in self._ignored:
                await self._dead_letter(record, f"no handler for {envelope.wire_name}")
            else:
                CONSUMED.labels(self.name, "ignored").inc()
            return None
        try:
            data = decode_data(envelope)
        except ValidationError as exc:
            await self._dead_letter(
                record, f"{envelope.wire_name} breaks its contract: {validation_summary(exc)}")
            return None
        logs.correlation_id.set(str(envelope.correlation_id))
        return _Ready(record, envelope, data, handler)

    async def _apply_batch(self, ready: list[_Ready]) -> list[str]:
        return await apply_in_one_transaction(self._engine, self._inbox, self.name, ready,
                                              self._batch_handler)

    async def _apply_with_retry(self, record: ConsumerRecord, envelope: Envelope,
                                data: EventData, handler: Handler) -> None:
        attempt, backoff = 0, 0.1
        while True:
            attempt += 1
            try:
                outcome = await self._apply(envelope, data, handler)
                CONSUMED.labels(self.name, outcome).inc()
                return
            except RejectEvent as exc:
                return await self._dead_letter(record, f"rejected: {exc}")
            except DATABASE_AWAY as exc:
                # The database is away: wait for it, never skip the event.
                log.warning("consumer waiting for database", extra={
                    "consumer": self.name, "event_id": str(envelope.event_id),
                    "error": type(exc).__name__})
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered, never lost
                if attempt >= self._max_attempts:
                    return await self._dead_letter(
                        record, f"handler failed {attempt} times: {type(exc).__name__}")
                log.warning("handler failed, retrying", extra={
                    "consumer": self.name, "event_id": str(envelope.event_id), "attempt": attempt,
                    "error": type(exc).__name__})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _apply(self, envelope: Envelope, data: EventData, handler: Handler) -> str:
        async with self._engine.begin() as conn:
            first_time = (await conn.execute(claim_statement(self._inbox), {
                "consumer": self.name, "event_id": envelope.event_id})).first()
            if first_time is None:
                return "duplicate"
            await handler(conn, envelope, data)
        return "applied"

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        CONSUMED.labels(self.name, "dead_lettered").inc()
        log.error("event dead-lettered", extra={
            "consumer": self.name, "topic": record.topic, "partition": record.partition,
            "offset": record.offset, "reason": reason})
        letter = dead_letter_value(
            consumer=self.name, reason=reason, topic=record.topic, partition=record.partition,
            offset=record.offset, key=record.key, value=record.value)
        backoff = 0.1
        while True:  # the offset must not pass the record before its letter is out
            try:
                await self._producer.send_and_wait(self.dead_letter_topic, letter,
                                                   key=record.key)
                return
            except (KafkaError, OSError) as exc:
                log.warning("dead letter not sent, retrying", extra={
                    "consumer": self.name, "error": type(exc).__name__})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)


class _PendingOffsets(ConsumerRebalanceListener):
    """The next offset of each partition's last applied record, until it is committed. Only
    applied records get here, so a commit never passes a record whose effect is not in the
    database. A partition taken away in a rebalance gets its offset committed first (the
    consumer waits for this before rejoining) and is then forgotten, so a later commit can
    never move its offset back behind what its new owner committed."""

    def __init__(self, consumer: AIOKafkaConsumer,
                 send: Callable[[dict[TopicPartition, int]], Awaitable[None]]) -> None:
        self._consumer, self._send = consumer, send
        self._pending: dict[TopicPartition, int] = {}
        self._last_commit = time.monotonic()

    def applied(self, tp: TopicPartition, next_offset: int) -> None:
        self._pending[tp] = next_offset

    def due(self) -> bool:
        return time.monotonic() - self._last_commit >= COMMIT_EVERY_S

    async def commit(self, only: frozenset[TopicPartition] | None = None) -> None:
        picked = [tp for tp in self._pending if only is None or tp in only]
        taken = {tp: self._pending.pop(tp) for tp in picked}
        if only is None:
            self._last_commit = time.monotonic()
        owned = self._consumer.assignment()
        if chosen := {tp: offset for tp, offset in taken.items() if tp in owned}:
            await self._send(chosen)  # every partition in one commit

    async def on_partitions_revoked(self, revoked) -> None:
        await self.commit(only=frozenset(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        pass

"""Transactional outbox: the state change and the event commit in one transaction; a relay
publishes afterwards.

The relay claims pending rows with FOR UPDATE SKIP LOCKED, publishes them in id order with
the idempotent producer (key = conversation id), and marks them published in the same
transaction. If it dies between commit and publish the rows stay pending and go out on the
next run; if it dies after publishing but before marking, they go out again and the
consumers' inboxes drop the duplicate. It is woken by LISTEN/NOTIFY (sent by `enqueue` and
delivered at commit), so its fallback poll can be slow (seconds): an idle relay costs one
small transaction per poll, and a poll every 0.5 s was a large share of an idle stack's CPU.

A row that fails for a reason that will not go away (larger than the broker takes, an
invalid topic, not serialisable) is parked: marked with the reason and left for an operator
(`outbox_parked_rows`), while the rows after it flow on. Any other failure (broker or
database away) keeps the rows pending and retries with backoff, in order."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import psycopg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.events.envelope import Envelope
from shared.events.topics import on_broker
from shared.kafka import encode, permanent_failure, valid_topic

log = logging.getLogger(__name__)

BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["outbox"])
PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["outbox"])
FAILURES = Counter("outbox_publish_failures_total", "Failed publish attempts", ["outbox"])
PARKED = Gauge("outbox_parked_rows", "Outbox rows set aside: they can never be published",
               ["outbox"])
PARKED_TOTAL = Counter("outbox_parked_total", "Outbox rows parked", ["outbox", "reason"])


def define_outbox(metadata: MetaData) -> Table:
    table = Table(
        "outbox", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # Set (with the reason) when the row can never be published; see OutboxRelay.
        Column("parked_at", DateTime(timezone=True)),
        Column("park_reason", String(200)),
    )
    Index("outbox_pending", table.c.id, postgresql_where=table.c.published_at.is_(None))
    return table


class Outbox:
    """Writes events into a service's outbox table inside the caller's transaction.

    One statement per event: the row's INSERT wakes the relays itself (`RETURNING
    pg_notify(...)`, evaluated for the inserted row), instead of an INSERT and a `SELECT
    pg_notify` (two round trips). The NOTIFY belongs to the same (sub)transaction as the
    row, so it is delivered at commit exactly when a row is, and a rolled-back savepoint
    takes both away; PostgreSQL folds the identical notifications of one transaction into
    one."""

    def __init__(self, table: Table, channel: str) -> None:
        self.table = table
        self.channel = channel
        self._insert = table.insert().returning(
            func.pg_notify(literal(channel, String), literal("", String)))

    async def enqueue(self, conn: AsyncConnection, topic: str, key: str, event: Envelope) -> None:
        await conn.execute(self._insert, _row(topic, key, event))

    def enqueue_sync(self, conn: Connection, topic: str, key: str, event: Envelope) -> None:
        """The same on a synchronous connection (identity's routes on authlib's side)."""
        conn.execute(self._insert, _row(topic, key, event))


def _row(topic: str, key: str, event: Envelope) -> dict:
    return {"event_id": event.event_id, "topic": topic, "key": key,
            "event_type": event.wire_name, "payload": encode(event)}


def _libpq_dsn(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_channel(engine: AsyncEngine, channel: str, *,
                         connected: Callable[[], None], notified: Callable[[str], None],
                         lost: Callable[[], None] = lambda: None) -> None:
    """For ever: LISTEN on `channel` and call `notified(payload)` on every NOTIFY (delivered
    when the notifying transaction commits); `connected()` on each (re)connection and
    `lost()` when the connection goes, then reconnect after a second (a database restart).
    Whoever relies on the notifications covers the gaps between `lost` and `connected`."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                    _libpq_dsn(engine), autocommit=True) as conn:
                await conn.execute(f'LISTEN "{channel}"')
                connected()
                async for notice in conn.notifies():
                    notified(notice.payload)
        except (psycopg.OperationalError, OSError) as exc:
            log.info("listener on %s lost (%s)", channel, type(exc).__name__)
        finally:
            lost()
        await asyncio.sleep(1.0)


async def listen(engine: AsyncEngine, channel: str, wake: asyncio.Event) -> None:
    """Sets `wake` on every NOTIFY on `channel`, for ever. It also sets `wake` on each
    (re)connection, so whatever committed while it was away is not left to the fallback poll
    (which covers the time it is away)."""
    await listen_channel(engine, channel, connected=wake.set, notified=lambda _: wake.set())


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, outbox: Outbox, producer: AIOKafkaProducer, *,
                 name: str, batch_size: int = 200, fallback_poll_s: float = 5.0,
                 retention: timedelta = timedelta(days=7), region: str | None = None) -> None:
        self._engine, self._outbox, self._producer = engine, outbox, producer
        # Rows hold logical topic names; the region's prefix is added on the way out (None:
        # the rows already hold broker names, as in the library's own tests).
        self._broker_name: Callable[[str], str] = (
            (lambda name: name) if region is None else partial(on_broker, region))
        self.name, self._batch_size, self._poll = name, batch_size, fallback_poll_s
        self._wake = asyncio.Event()
        self._last_backlog_check = 0.0
        self._last_purge: float | None = None  # first purge on the first idle round
        self._retention = retention
        self._lock_key = int.from_bytes(
            hashlib.sha256(f"outbox:{outbox.channel}".encode()).digest()[:8], "big",
            signed=True)

    async def run(self) -> None:
        listener = asyncio.create_task(listen(self._engine, self._outbox.channel, self._wake))
        backoff = 0.1
        try:
            while True:
                try:
                    published = await self.publish_batch()
                    if published < self._batch_size:
                        await self._purge_now_and_then()  # inside the try: a DB blip is no crash
                    backoff = 0.1
                except Exception as exc:  # noqa: BLE001 - broker or database away: keep rows, retry
                    FAILURES.labels(self.name).inc()
                    log.warning("outbox publish failed", extra={"reason": type(exc).__name__,
                                                                 "service": self.name})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if published < self._batch_size:
                    await self._wait()
        finally:
            listener.cancel()

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
        except TimeoutError:
            pass
        self._wake.clear()

    async def publish_batch(self) -> int:
        t = self._outbox.table
        async with self._engine.begin() as conn:
            # One relay publishes at a time per outbox (replicas queue behind this lock), so
            # two relays never publish interleaved batches and per-key order holds.
            if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                       {"k": self._lock_key})).scalar_one():
                return 0
            rows = (await conn.execute(
                select(t.c.id, t.c.topic, t.c.key, t.c.event_type, t.c.payload)
                .where(t.c.published_at.is_(None), t.c.parked_at.is_(None)).order_by(t.c.id)
                .limit(self._batch_size).with_for_update(skip_locked=True))).all()
            parked: dict[int, str] = {}
            if rows:
                parked = await self._send_all(rows)
                now = datetime.now(UTC)
                if sent := [r.id for r in rows if r.id not in parked]:
                    await conn.execute(update(t).where(t.c.id.in_(sent))
                                       .values(published_at=now))
                for row_id, reason in parked.items():
                    await conn.execute(update(t).where(t.c.id == row_id)
                                       .values(parked_at=now, park_reason=reason))
        if rows:
            PUBLISHED.labels(self.name).inc(len(rows) - len(parked))
        for row_id, reason in parked.items():
            PARKED_TOTAL.labels(self.name, reason).inc()
            log.error("outbox row parked", extra={"service": self.name, "row": row_id,
                                                  "reason": reason})
        await self._refresh_backlog(force=bool(parked))
        return len(rows)

    async def _send_all(self, rows) -> dict[int, str]:
        """Sends in id order (the idempotent producer keeps that order per partition); returns
        the rows that failed for good, with the reason. Any other failure raises, and the
        whole batch stays pending."""
        parked: dict[int, str] = {}
        futures: list[tuple[int, asyncio.Future]] = []
        for r in rows:
            topic = self._broker_name(r.topic)
            if not valid_topic(topic):  # the client would wait for its metadata for ever
                parked[r.id] = "invalid topic"
                continue
            try:
                futures.append((r.id, await self._producer.send(
                    topic, value=r.payload, key=r.key.encode(),
                    headers=[("event_type", r.event_type.encode())])))
            except Exception as exc:
                if (reason := permanent_failure(exc)) is None:
                    raise
                parked[r.id] = reason
        results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        for (row_id, _), result in zip(futures, results, strict=True):
            if isinstance(result, BaseException):
                if (reason := permanent_failure(result)) is None:
                    raise result
                parked[row_id] = reason
        return parked

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention (kept a while for operators
        tracing an event); returns how many went."""
        t = self._outbox.table
        async with self._engine.begin() as conn:
            result = await conn.execute(t.delete().where(
                t.c.published_at < datetime.now(UTC) - self._retention))
        return result.rowcount

    async def _purge_now_and_then(self) -> None:
        if self._last_purge is None or time.monotonic() - self._last_purge >= 3600:
            self._last_purge = time.monotonic()
            await self.purge_published()

    async def _refresh_backlog(self, force: bool = False) -> None:
        now = time.monotonic()
        if now - self._last_backlog_check < 1.0 and not force:
            return
        self._last_backlog_check = now
        t = self._outbox.table
        unpublished = t.c.published_at.is_(None)
        async with self._engine.connect() as conn:
            pending, parked = (await conn.execute(select(
                func.count().filter(t.c.parked_at.is_(None)),
                func.count().filter(t.c.parked_at.is_not(None))).where(unpublished))).one()
        BACKLOG.labels(self.name).set(pending)
        PARKED.labels(self.name).set(parked)

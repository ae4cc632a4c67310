"""The outbox relay: publishes the rows that shared.outbox wrote, in id order, with the
idempotent producer (key = conversation id). Each service runs one per outbox
(shared.runtime); replicas each run theirs.

A batch is one transaction, and normally one statement in it: the claim takes the outbox's
advisory lock (one relay publishes at a time per outbox, so replicas never publish interleaved
batches and per-key order holds), picks the oldest pending rows with FOR UPDATE SKIP LOCKED
and marks them published, returning them. The relay then publishes them and commits only
once the broker has acknowledged every one: if it fails or dies before the commit, the
transaction rolls back, the mark and the lock with it, and the rows are still pending for the
next run; if it dies after publishing but before the commit, they go out again and the
consumers' inboxes drop the duplicate. It is woken by LISTEN/NOTIFY (sent by every enqueue and
delivered at commit), so its fallback poll can be slow (seconds): an idle relay costs one
small transaction per poll.

A row that fails for a reason that will not go away (larger than the broker takes, an
invalid topic, not serialisable) is parked: marked with the reason and left for an operator
(`outbox_parked_rows`), while the rows after it flow on. Any other failure (broker or
database away) keeps the rows pending and retries with backoff, in order.

`outbox_backlog` and `outbox_parked_rows` come from a count on another connection, at most
once a second, and only when they may have changed: after a batch that took fewer rows than
it could, none parked, the backlog is known to be nothing (the claim saw every pending row),
and a relay that found nothing to do and heard of nothing new leaves a zero count as it is."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import BigInteger, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events.topics import on_broker
from shared.kafka import permanent_failure, valid_topic
from shared.outbox import Outbox, listen

log = logging.getLogger(__name__)

BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["outbox"])
PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["outbox"])
FAILURES = Counter("outbox_publish_failures_total", "Failed publish attempts", ["outbox"])
PARKED = Gauge("outbox_parked_rows", "Outbox rows set aside: they can never be published",
               ["outbox"])
PARKED_TOTAL = Counter("outbox_parked_total", "Outbox rows parked", ["outbox", "reason"])


def claim_statement(t: Table, batch_size: int):
    """The claim in one statement. The lock is a MATERIALIZED CTE, read through a scalar
    subquery: PostgreSQL evaluates it once, as an InitPlan before any row is read, and gates
    the scan on it (a one-time filter), so while another relay holds the lock the pending
    rows are not even read (a call in the WHERE clause would run per row; tests/integration/
    test_outbox_relay.py checks the plan). The claimed ids are a CTE of their own so the
    LIMIT .. SKIP LOCKED runs exactly once. `published_at` is the claim's transaction time."""
    lock = (select(func.pg_try_advisory_xact_lock(bindparam("lock_key", type_=BigInteger))
                   .label("held")).cte("relay_lock").prefix_with("MATERIALIZED"))
    claimed = (select(t.c.id).where(select(lock.c.held).scalar_subquery(),
                                    t.c.published_at.is_(None), t.c.parked_at.is_(None))
               .order_by(t.c.id).limit(batch_size).with_for_update(skip_locked=True, of=t)
               .cte("claimed").prefix_with("MATERIALIZED"))
    return (update(t).where(t.c.id == claimed.c.id).values(published_at=func.now())
            .returning(t.c.id, t.c.topic, t.c.key, t.c.event_type, t.c.payload))


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, outbox: Outbox, producer: AIOKafkaProducer, *,
                 name: str, batch_size: int = 200, fallback_poll_s: float = 5.0,
                 retention: timedelta = timedelta(days=7), region: str | None = None,
                 linger_s: float = 0.0) -> None:
        self._engine, self._outbox, self._producer = engine, outbox, producer
        # After a wake, how long to let more rows come before claiming: a relay woken by
        # every commit claims a row or two each time (a transaction and a produce request
        # each); where no one waits on the events (the notifier's sent mails, the audit's
        # stream), a short linger makes one claim of several. 0 for the mailboxes.
        self._linger = linger_s
        # Rows hold logical topic names; the region's prefix is added on the way out (None:
        # the rows already hold broker names, as in the library's own tests).
        self._broker_name: Callable[[str], str] = (
            (lambda name: name) if region is None else partial(on_broker, region))
        self.name, self._batch_size, self._poll = name, batch_size, fallback_poll_s
        self._wake = asyncio.Event()
        self._woken = True  # by a notification (or not yet known): something may be new
        self._last_backlog_check = 0.0
        self._known: tuple[int, int] | None = None  # (pending, parked) as last counted
        self._last_purge: float | None = None  # first purge on the first idle round
        self._retention = retention
        self._claim = claim_statement(outbox.table, batch_size)
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
                    await self._count_backlog_if_possible()
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
            self._woken = True
        except TimeoutError:
            self._woken = False
        if self._woken and self._linger > 0:
            await asyncio.sleep(self._linger)
        self._wake.clear()

    async def publish_batch(self) -> int:
        t = self._outbox.table
        async with self._engine.begin() as conn:
            rows = sorted((await conn.execute(self._claim, {"lock_key": self._lock_key})).all(),
                          key=lambda r: r.id)
            parked: dict[int, str] = {}
            if rows:
                parked = await self._send_all(rows)
                for row_id, reason in parked.items():
                    await conn.execute(update(t).where(t.c.id == row_id).values(
                        published_at=None, parked_at=datetime.now(UTC), park_reason=reason))
        if rows:
            PUBLISHED.labels(self.name).inc(len(rows) - len(parked))
        for row_id, reason in parked.items():
            PARKED_TOTAL.labels(self.name, reason).inc()
            log.error("outbox row parked", extra={"service": self.name, "row": row_id,
                                                  "reason": reason})
        await self._refresh_backlog(len(rows), parked=bool(parked))
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

    async def _refresh_backlog(self, claimed: int, parked: bool) -> None:
        """See the module docstring: the count only when the gauges may be wrong."""
        if not parked and self._known is not None and self._known[1] == 0:
            if 0 < claimed < self._batch_size:  # the claim saw every pending row
                self._known = (0, 0)
                BACKLOG.labels(self.name).set(0)
                return
            if claimed == 0 and not self._woken and self._known == (0, 0):
                return
        await self._count_backlog(force=parked)

    async def _count_backlog(self, force: bool = False) -> None:
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
        self._known = (pending, parked)
        BACKLOG.labels(self.name).set(pending)
        PARKED.labels(self.name).set(parked)

    async def _count_backlog_if_possible(self) -> None:
        """After a failed batch: the backlog grows while the broker is away, and that is when
        operators need to see it (OutboxBacklogGrowing); the database may be away too."""
        try:
            await self._count_backlog()
        except Exception as exc:  # noqa: BLE001 - the database is away: the gauge waits
            log.debug("outbox backlog not counted", extra={"reason": type(exc).__name__,
                                                           "service": self.name})

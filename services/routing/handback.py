"""The care-unit mailbox's events, read apart from the faust worker's agents.

Routing acts on few of them: a unit's mailbox key to announce, and the events of the
conversations another region handed over (to hand them back). They are about five records
per conversation, and faust's one consumer fetches as soon as a single record is there (it
fixes its consumer's fetch settings), so each of them was a fetch and a wake-up of the
worker's two event loops: half of routing's CPU per workflow (docs/capacity.md, perf13).
This consumer has the broker hold its fetch until `consume_fetch_min_bytes` (16 KB) or a
second have gathered, as the notifier's and identity's do; a hand-back or an announcement
waits up to that second. It runs under shared.supervise, as the other services' consumers:
one that fails is logged, counted and started again from the last commit.

At least once, like the agents: the offsets of a fetch are committed only after everything
it gave was published. A record published again after a crash keeps its event id, which the
receiving region's inbox drops as a duplicate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from services.routing.handlers import InRecord, OutRecord

MAX_RECORDS = 500  # per fetch handed to the router: bounds the work before a commit


class HandBack:
    """Reads the care-unit topic in a group of its own; each record goes through `handle`
    (the router: never raises, a bad record comes back as a dead-letter record) and every
    record it returns through `publish` (waits for the broker's ack)."""

    def __init__(self, consumer_factory: Callable[[], AIOKafkaConsumer],
                 handle: Callable[[InRecord], Awaitable[list[OutRecord]]],
                 publish: Callable[[OutRecord], Awaitable[None]],
                 tables_loaded: Callable[[], Awaitable[object]]) -> None:
        self._new_consumer, self._handle, self._publish = consumer_factory, handle, publish
        self._tables_loaded = tables_loaded

    async def consume(self) -> None:
        """One consumer's life, until cancelled or until it fails (shared.supervise starts
        the next). Nothing is read before the worker's tables are loaded from their
        changelogs: an event of a conversation handed over from another region, judged
        against a half-loaded table, would be taken for one of this region's own and not
        handed back (faust's agents wait for the same)."""
        await self._tables_loaded()
        consumer = self._new_consumer()
        await consumer.start()
        try:
            while True:
                fetched = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
                for records in fetched.values():
                    for r in records:
                        for out in await self._handle(
                                InRecord(r.topic, r.partition, r.offset, r.key, r.value)):
                            await self._publish(out)
                if fetched:
                    await consumer.commit({tp: records[-1].offset + 1
                                           for tp, records in fetched.items()})
        finally:
            await consumer.stop()

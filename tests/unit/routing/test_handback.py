"""The care-unit topic's own consumer (services.routing.handback): every record goes through
the router, what it returns is published, and a fetch's offsets are committed only after
all of it was published; a failing consumer is replaced (shared.supervise, as the worker
runs it) and reads again from the commit."""

from __future__ import annotations

import asyncio
from collections import namedtuple

import pytest
from aiokafka import TopicPartition

from services.routing import handback
from services.routing.handback import HandBack
from services.routing.handlers import InRecord, OutRecord
from shared.supervise import Supervised

Record = namedtuple("Record", "topic partition offset key value")
TP0, TP1 = TopicPartition("r.careunit-mailbox.events", 0), TopicPartition(
    "r.careunit-mailbox.events", 1)


class FakeConsumer:
    """Hands out the fetches it was given, then waits like an idle long poll."""

    def __init__(self, fetches: list[dict], log: list) -> None:
        self.fetches, self.log = list(fetches), log

    async def start(self) -> None:
        self.log.append("start")

    async def stop(self) -> None:
        self.log.append("stop")

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        assert max_records == handback.MAX_RECORDS
        if self.fetches:
            return self.fetches.pop(0)
        await asyncio.Event().wait()
        return {}

    async def commit(self, offsets: dict) -> None:
        self.log.append(("commit", offsets))


async def loaded() -> None:  # the worker's tables are loaded at once
    return None


def rec(tp: TopicPartition, offset: int) -> Record:
    return Record(tp.topic, tp.partition, offset, b"conv", b"value-%d" % offset)


async def run_until(hand_back: HandBack, done) -> None:
    """As the worker runs it: supervised (restarted quickly here)."""
    supervised = Supervised("hand-back", hand_back.consume, service="routing",
                            first_backoff_s=0.01)
    task = asyncio.create_task(supervised.run())
    for _ in range(500):  # breaks as soon as done: only a stuck run waits it out
        await asyncio.sleep(0.01)
        if done():
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_records_are_handled_published_then_committed() -> None:
    log: list = []
    fetch = {TP0: [rec(TP0, 5), rec(TP0, 6)], TP1: [rec(TP1, 2)]}

    async def handle(record: InRecord) -> list[OutRecord]:
        log.append(("handle", record.partition, record.offset))
        # The second record is handed back; the others are not routing's business.
        return [OutRecord("inbound", record.key, record.value)] if record.offset == 6 else []

    async def publish(out: OutRecord) -> None:
        log.append(("publish", out.value))

    consumer = FakeConsumer([fetch], log)
    await run_until(HandBack(lambda: consumer, handle, publish, loaded),
                    lambda: any(e[0] == "commit" for e in log if isinstance(e, tuple)))
    assert log[:6] == ["start", ("handle", 0, 5), ("handle", 0, 6), ("publish", b"value-6"),
                       ("handle", 1, 2), ("commit", {TP0: 7, TP1: 3})]
    assert log[-1] == "stop"  # cancelled: the consumer leaves its group


async def test_a_failed_publish_commits_nothing_and_the_fetch_is_read_again() -> None:
    log: list = []
    published: list[bytes] = []
    failures = [ConnectionError("broker away")]

    async def handle(record: InRecord) -> list[OutRecord]:
        return [OutRecord("inbound", record.key, record.value)]

    async def publish(out: OutRecord) -> None:
        if failures:
            raise failures.pop()
        published.append(out.value)

    consumers = iter([FakeConsumer([{TP0: [rec(TP0, 1)]}], log),
                      FakeConsumer([{TP0: [rec(TP0, 1)]}], log)])  # the same, uncommitted
    await run_until(HandBack(lambda: next(consumers), handle, publish, loaded),
                    lambda: bool(published) and log[-1] != "start"
                    and isinstance(log[-1], tuple))
    assert log == ["start", "stop", "start", ("commit", {TP0: 2}), "stop"]
    assert published == [b"value-1"]


async def test_nothing_is_read_before_the_worker_s_tables_are_loaded() -> None:
    log: list = []
    tables = asyncio.Event()

    async def handle(record: InRecord) -> list[OutRecord]:
        log.append(("handle", record.offset))
        return []

    async def publish(out: OutRecord) -> None:
        raise AssertionError("nothing to publish")

    consumer = FakeConsumer([{TP0: [rec(TP0, 0)]}], log)
    task = asyncio.create_task(HandBack(lambda: consumer, handle, publish, tables.wait).consume())
    await asyncio.sleep(0.05)
    assert log == []  # no consumer started: its group would hand it partitions meanwhile
    tables.set()
    for _ in range(500):
        await asyncio.sleep(0.01)
        if len(log) >= 3:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log[:3] == ["start", ("handle", 0), ("commit", {TP0: 1})]

"""What applying a whole fetch in one transaction saves (shared.inbox, commit 5066a1a): the
real EventConsumer with the real inbox table and a handler of one small INSERT per event
takes a steady stream of records spread over P partitions (a burst of P, one per partition,
every 20 ms, sent by a producer in a process of its own), on a real Kafka and PostgreSQL
started here (port block 32200, a fresh /tmp/bench-fetchbatch-* directory).

"old" applies each partition's records of a fetch as their own batch (the loop before
5066a1a: one transaction per partition of the fetch), "new" is EventConsumer as it is (one
per fetch). The two ways alternate round by round, which goes first alternating too; each
round has a fresh topic and consumer group. Per event: PostgreSQL transactions (exact: the
distinct inserting transaction ids, xmin, of the inbox rows; pg_stat_database reports an idle
backend's commits up to 10 s late), CPU of this process (the consumer), of the PostgreSQL
server and of the broker (from /proc); per fetch: records and partitions. Medians over the
rounds, and new/old.

    python -m bench.fetchbatch [--records 600] [--rounds 10] [--partitions 6] \\
        [--out bench/results/perf7]"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import time
from itertools import groupby
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import alternate, cli, procstat
from devstack.supervisor import Stack
from shared import db
from shared.events import Source, new_event
from shared.events.contracts import PatientRegistered
from shared.events.wiring import wire_name
from shared.inbox import EventConsumer, define_inbox
from shared.kafka import KafkaAuth, encode, ensure_topics, make_producer

BASE_PORT = 32200  # away from the tests' blocks and the other benches'
BURST_EVERY_S = 0.02
SOURCE = Source(service="bench", region="bench")

metadata = MetaData()
inbox = define_inbox(metadata)
effects = Table("effects", metadata,  # stands in for a consumer's state change
                Column("event_id", String(100), primary_key=True),
                Column("applied", Integer, nullable=False))


async def apply_effect(conn, envelope, data: PatientRegistered) -> None:
    await conn.execute(insert(effects).values(event_id=str(envelope.event_id), applied=1)
                       .on_conflict_do_update(index_elements=["event_id"],
                                              set_={"applied": effects.c.applied + 1}))


class Observed(EventConsumer):
    """EventConsumer as it is, counting what its fetches bring: its run loop hands each
    fetch whole to process_batch."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetches: list[tuple[int, int]] = []  # (records, partitions) of each fetch
        self.applied, self.want, self.reached = 0, 0, asyncio.Event()

    async def process_batch(self, records: list[ConsumerRecord]) -> None:
        self.fetches.append((len(records), len({(r.topic, r.partition) for r in records})))
        await self.apply_fetch(records)
        self.applied += len(records)
        if self.applied >= self.want:
            self.reached.set()

    async def apply_fetch(self, records: list[ConsumerRecord]) -> None:
        await super().process_batch(records)


class OldWay(Observed):
    """The loop before 5066a1a (`for tp, records in batches.items(): process_batch(records)`):
    the fetch's records come grouped by partition, in the fetch's order, and each group is
    its own batch. Offsets are noted after the fetch instead of after each partition's batch,
    which changes nothing measured (they are committed at most once a second either way)."""

    async def apply_fetch(self, records: list[ConsumerRecord]) -> None:
        for _, partition in groupby(records, key=lambda r: (r.topic, r.partition)):
            await EventConsumer.process_batch(self, list(partition))


WAYS: dict[str, type[Observed]] = {"old": OldWay, "new": Observed}


async def stream(producer, topic: str, records: int, partitions: int, every_s: float) -> None:
    """`records` events, a burst of one per partition every `every_s`."""
    values = [encode(new_event(PatientRegistered(patient_id=f"p-{i}"), source=SOURCE,
                               subject=f"s-{i}")) for i in range(records)]
    loop, sent = asyncio.get_running_loop(), []
    start = loop.time()
    for burst, first in enumerate(range(0, records, partitions)):
        for partition, value in enumerate(values[first:first + partitions]):
            sent.append(await producer.send(topic, value, partition=partition))
        await asyncio.sleep(max(0.0, start + (burst + 1) * every_s - loop.time()))
    await asyncio.gather(*sent)


def producer_process(conn: Connection, bootstrap: str, auth: KafkaAuth) -> None:
    """Runs in a process of its own, so its CPU is not the consumer's: streams on command."""
    # A warm-up right after its topic was created meets partitions whose leader is not yet
    # elected: retried by the producer, logged as a warning on each partition.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)

    async def serve() -> None:
        producer = make_producer(bootstrap, "bench-fetchbatch", auth)
        await producer.start()
        try:
            while (command := conn.recv()) is not None:
                await stream(producer, *command)
                conn.send("sent")
        finally:
            await producer.stop()
    asyncio.run(serve())


async def transactions(engine: AsyncEngine, consumer: str) -> tuple[int, int]:
    """Inbox rows of the consumer and the distinct transactions that inserted them."""
    async with engine.connect() as conn:
        rows, xids = (await conn.execute(text(
            "SELECT count(*), count(DISTINCT xmin::text) FROM inbox WHERE consumer = :c"),
            {"c": consumer})).one()
    return rows, xids


class Bench:
    def __init__(self, stack: Stack, engine: AsyncEngine, producer: Any, pipe: Connection,
                 args: argparse.Namespace) -> None:
        self.cfg, self.engine, self.producer, self.pipe, self.args = (
            stack.cfg, engine, producer, pipe, args)
        pg_pid, kafka_pid = (stack.pg["pg-platform"].postmaster_pid(),
                             stack.process("kafka").pid)
        assert pg_pid is not None and kafka_pid is not None
        self.pids = {"postgres": pg_pid, "broker": kafka_pid}

    async def send(self, topic: str, records: int) -> None:
        self.pipe.send((topic, records, self.args.partitions, BURST_EVERY_S))
        assert await asyncio.to_thread(self.pipe.recv) == "sent"

    async def one_round(self, way: str, round_no: int) -> dict[str, float]:
        n, p = self.args.records, self.args.partitions
        topic = f"fetchbatch-{round_no}-{way}"
        await ensure_topics(self.cfg.kafka_bootstrap, [topic], partitions=p,
                            auth=self.cfg.kafka_auth())
        consumer = WAYS[way](
            name=f"bench-{topic}", topics=[topic], bootstrap=self.cfg.kafka_bootstrap,
            auth=self.cfg.kafka_auth(), engine=self.engine, inbox=inbox,
            handlers={wire_name(PatientRegistered): apply_effect}, producer=self.producer)
        task = asyncio.create_task(consumer.run())
        consumer.want = p  # warm-up: the group joined, connections open, first purge done
        await self.send(topic, p)
        await asyncio.wait_for(consumer.reached.wait(), 60)
        _, xids0 = await transactions(self.engine, consumer.name)
        consumer.fetches.clear()
        consumer.want, consumer.applied = n, 0
        consumer.reached.clear()
        cpu0, self0 = procstat.cpu_ms(self.pids), time.process_time()
        sending = asyncio.create_task(self.send(topic, n))
        await asyncio.wait_for(consumer.reached.wait(), 120)
        cpu = procstat.delta(procstat.cpu_ms(self.pids), cpu0)
        consumer_ms = (time.process_time() - self0) * 1000
        await sending
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        rows, xids = await transactions(self.engine, consumer.name)
        assert rows == n + p, f"{rows} inbox rows for {n + p} events"
        fetches = consumer.fetches
        return {"transactions_per_event": (xids - xids0) / n,
                "records_per_fetch": statistics.mean(f[0] for f in fetches),
                "partitions_per_fetch": statistics.mean(f[1] for f in fetches),
                "consumer_cpu_ms_per_event": consumer_ms / n,
                "postgres_cpu_ms_per_event": cpu["postgres"] / n,
                "broker_cpu_ms_per_event": cpu["broker"] / n}


async def run_rounds(bench: Bench, rounds: int) -> dict[str, list[dict[str, float]]]:
    samples: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for i in range(rounds):
        for way in list(WAYS) if i % 2 == 0 else reversed(WAYS):
            samples[way].append(await bench.one_round(way, i))
        print(f"round {i + 1}/{rounds} done", file=sys.stderr)
    return samples


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    engine = db.make_engine(stack.cfg.database_url("platform", "scratch"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    producer = make_producer(stack.cfg.kafka_bootstrap, "bench-dead-letters",
                             stack.cfg.kafka_auth())  # the consumer's, for dead letters only
    await producer.start()
    pipe, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=producer_process,
        args=(child_end, stack.cfg.kafka_bootstrap, stack.cfg.kafka_auth()))
    child.start()
    try:
        return await run_rounds(Bench(stack, engine, producer, pipe, args), args.rounds)
    finally:
        pipe.send(None)
        child.join(30)
        await producer.stop()
        await engine.dispose()


def report(samples: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> dict:
    old, new = (alternate.median(samples[way]) for way in WAYS)
    ratios = {k: round(new[k] / old[k], 2) for k in old if old[k]}
    return {"unit": "medians over the rounds; CPU in ms", "old": old, "new": new,
            "new_over_old": ratios,
            "settings": {"records": args.records, "rounds": args.rounds,
                         "partitions": args.partitions, "burst_every_ms": BURST_EVERY_S * 1000},
            "samples": samples}


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data_dir = cli.stack_dir("fetchbatch")
    with Stack(cli.stack_config(data_dir, BASE_PORT)) as stack:
        stack.start_service("pg-platform")
        stack.start_service("kafka")
        samples = asyncio.run(measure(stack, args))
    alternate.save(args.out, "fetchbatch.json", report(samples, args))


if __name__ == "__main__":
    main()

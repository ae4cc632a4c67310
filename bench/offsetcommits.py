"""What an offset commit costs: a consumer takes a stream of records spaced 10 ms apart (each
its own fetched batch, as at light load) and commits either after every batch (before) or at
most once a second and at the first idle round (after, shared.inbox). CPU of the broker's JVM
(from /proc) and of this process per record, on a real Kafka started here (port block
31800); the two ways alternate round by round, medians over the rounds.

    python -m bench.offsetcommits [--records 300] [--rounds 4] [--out bench/results/perf6]"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from bench import cli, procstat
from devstack.config import StackConfig, test_config
from devstack.supervisor import Stack
from shared.kafka import make_consumer, make_producer

WAYS = {"every batch": 0.0, "at most once a second": 1.0}


async def one_round(cfg: StackConfig, kafka_pid: int, topic: str, every_s: float,
                    records: int) -> dict:
    producer = make_producer(cfg.kafka_bootstrap, "bench-commits", cfg.kafka_auth())
    await producer.start()
    consumer = make_consumer(cfg.kafka_bootstrap, f"group-{topic}", [topic], cfg.kafka_auth())
    await consumer.start()
    await producer.send_and_wait(topic, b"warm-up", key=b"k")
    while not await consumer.getmany(timeout_ms=1000):
        pass
    await consumer.commit()

    async def produce() -> None:
        for i in range(records):
            await producer.send_and_wait(topic, b"x" * 300, key=str(i % 3).encode())
            await asyncio.sleep(0.01)

    kafka0, self0 = procstat.cpu_ms({"kafka": kafka_pid})["kafka"], time.process_time()
    sending = asyncio.create_task(produce())
    got, commits, pending, last = 0, 0, {}, time.monotonic()
    while got < records:
        batches = await consumer.getmany(timeout_ms=1000, max_records=200)
        for tp, batch in batches.items():
            got += len(batch)
            pending[tp] = batch[-1].offset + 1
        if pending and (not batches or time.monotonic() - last >= every_s):
            await consumer.commit(pending)
            pending, last, commits = {}, time.monotonic(), commits + 1
    await sending
    kafka1, self1 = procstat.cpu_ms({"kafka": kafka_pid})["kafka"], time.process_time()
    await consumer.stop()
    await producer.stop()
    return {"broker_cpu_ms_per_record": (kafka1 - kafka0) / records,
            "client_cpu_ms_per_record": (self1 - self0) * 1000 / records,
            "commits": commits}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data_dir = cli.stack_dir("offsetcommits")
    cfg = test_config(data_dir, base_port=31800)
    samples: dict[str, list[dict]] = {way: [] for way in WAYS}
    with Stack(cfg) as stack:
        stack.start_service("kafka")
        kafka_pid = stack.process("kafka").pid
        assert kafka_pid is not None
        for i in range(args.rounds):
            order = list(WAYS.items()) if i % 2 == 0 else list(reversed(WAYS.items()))
            for way, every_s in order:
                samples[way].append(await one_round(cfg, kafka_pid, f"bench-{i}-{every_s}",
                                                    every_s, args.records))
            print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    report = {way: {k: round(statistics.median(s[k] for s in runs), 3) for k in runs[0]}
              for way, runs in samples.items()}
    report["settings"] = {"records": args.records, "rounds": args.rounds,
                          "spacing_ms": 10, "record_bytes": 300}
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "offsetcommits.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())

"""Benchmark: time from a patient's submit to the message being in the care unit's inbox,
over the whole running system (real Kafka, PostgreSQL, every service as its own process).

`python -m bench.workflow_latency [--messages 200] [--concurrency 4]`

Starts its own stack (ports 30000 above the dev stack, fresh /tmp dir). The latency of each
message is read from the care-unit database: `received_at` (committed in the care-unit
database) minus `submitted_at` (committed in the patient database) — both stamped by the
same machine's clock, so no client-side polling skews it. Reported as p50/p99 and as a ratio
to a baseline measured in the same run: one authenticated HTTP round trip through the
gateway (GET /v1/conversations), so the numbers compare across machines."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from devstack.config import StackConfig, test_config
from devstack.supervisor import Stack, format_rss
from tests.e2e.support import SEED, Person, eventually

UNIT = SEED["care_units"][0]["unit_id"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def submit_all(patient: Person, n: int, concurrency: int) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            r = await patient.submit(UNIT, "advice", text=f"bench {i}")
            assert r.status_code == 201, r.text
            return r.json()["message_id"]
    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def latencies(cfg: StackConfig, ids: list[str]) -> list[float]:
    dsn = cfg.database_url("careunit", "careunit_mailbox").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        async def all_arrived():
            rows = await (await conn.execute(
                "SELECT extract(epoch FROM received_at - submitted_at) FROM unit_messages "
                "WHERE message_id = ANY(%s)", (ids,))).fetchall()
            return [float(r[0]) for r in rows] if len(rows) == len(ids) else None
        return await eventually(all_arrived, timeout=120, what="all messages in the inbox")


async def hops(cfg: StackConfig, ids: list[str]) -> dict[str, float]:
    """Median time of each hop, from the audit log's event timestamps (each stamped when its
    producer built the event, just before the commit that carries it)."""
    dsn = cfg.database_url("platform", "audit").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        rows = await (await conn.execute(
            "SELECT summary->>'message_id', event_type, occurred_at FROM audit_records "
            "WHERE event_type IN ('messaging.message_submitted', 'routing.message_routed', "
            "'messaging.message_received') AND summary->>'message_id' = ANY(%s)",
            (ids,))).fetchall()
    at: dict[str, dict[str, object]] = {}
    for message_id, event_type, occurred in rows:
        at.setdefault(message_id, {})[event_type] = occurred
    complete = [t for t in at.values() if len(t) == 3]
    legs = {"patient-mailbox -> routing": ("messaging.message_submitted", "routing.message_routed"),
            "routing -> careunit-mailbox": ("routing.message_routed",
                                            "messaging.message_received")}
    return {name: statistics.median((t[b] - t[a]).total_seconds() for t in complete)
            for name, (a, b) in legs.items()} if complete else {}


async def baseline(patient: Person, n: int = 200) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        r = await patient.patient("GET", "/v1/conversations", params={"limit": 1})
        r.raise_for_status()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def run(stack: Stack, n: int, concurrency: int) -> None:
    await asyncio.sleep(5)  # let every process settle before measuring memory at rest
    print("resident memory at rest:\n" + format_rss(stack.rss_report()))
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as http:
        patient = await Person.login(http, personnummer=SEED["patients"][3]["personnummer"])
        await eventually(lambda: _ready(patient), timeout=60, what="keys distributed")
        base = await baseline(patient)
        ids = await submit_all(patient, n, concurrency)
    values = await latencies(stack.cfg, ids)
    legs = await eventually(lambda: hops(stack.cfg, ids), timeout=60, what="audit records")
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"messages: {len(values)}, concurrency: {concurrency}")
    print(f"submit -> unit inbox: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {max(values) * 1000:.1f} ms")
    for name, seconds in legs.items():
        print(f"  median {name}: {seconds * 1000:.1f} ms")
    print(f"baseline (one authenticated round trip through the gateway): {base * 1000:.2f} ms")
    print(f"ratio to baseline: p50 x{p50 / base:.1f}, p99 x{p99 / base:.1f}")


async def _ready(patient: Person) -> bool:
    return (await patient.submit(UNIT, "advice", text="warm-up")).status_code == 201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    base_cfg = test_config(Path(tempfile.mkdtemp(prefix="bench-")))
    cfg = StackConfig(**{**base_cfg.__dict__, "base_port": 30000})
    with Stack(cfg) as stack:
        stack.start_infrastructure()
        stack.start_services()
        asyncio.run(run(stack, args.messages, args.concurrency))


if __name__ == "__main__":
    main()

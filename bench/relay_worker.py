"""One measuring process of bench.relaypaths: the outbox relay's batch (OutboxRelay.publish_batch)
on a real PostgreSQL, with whichever `shared` package is first on PYTHONPATH (this branch's,
or an older commit's extracted by the driver), so the old and the new relay run alike. The
producer is a stand-in that acknowledges at once (the broker's side is the same for both).

Batches of 0 (a poll that finds nothing), 1, 10 and 50 pending rows, each written just before
its batch through another connection (not measured), in two rhythms: `busy`, batches back to
back (the backlog count at most once a second), and `quiet`, each batch more than a second
after the previous one after a fallback poll's timeout (light load: the count is due every
time). Per batch: SQL statements and transactions of the relay, CPU of this process during
publish_batch and of the relay's own PostgreSQL backend (its only connection, from /proc),
and wall time. Prints one JSON object.

    python bench/relay_worker.py URL PG_PID    (run by bench.relaypaths; PG_PID unused)"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

from sqlalchemy import MetaData, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.outbox import Outbox, define_outbox

try:
    from shared.outbox_relay import OutboxRelay
except ImportError:  # the old tree: the relay lived in shared.outbox
    from shared.outbox import OutboxRelay

SIZES = (0, 1, 10, 50)
BATCHES = {0: 100, 1: 100, 10: 50, 50: 20}  # per sample
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
PAYLOAD = b'{"type": "bench.event.v1", "data": {}}' + b" " * 600


class Acknowledging:
    """AIOKafkaProducer.send's shape: a future, already acknowledged."""

    async def send(self, *args: Any, **kwargs: Any) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class Counts:
    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = self.transactions = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "begin", self._begin)

    def _statement(self, *_: object) -> None:
        self.statements += 1

    def _begin(self, *_: object) -> None:
        self.transactions += 1


def backend_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return TICK_MS * (int(fields[11]) + int(fields[12]))


async def engines(url: str) -> tuple[AsyncEngine, AsyncEngine, Outbox]:
    schema = f"bench_relay_{uuid.uuid4().hex[:8]}"
    options = {"options": f"-csearch_path={schema}"}
    filler = create_async_engine(url, connect_args=options)
    async with filler.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        metadata = MetaData()
        table = define_outbox(metadata)
        await conn.run_sync(metadata.create_all)
    # One connection: every statement of the relay (the backlog count too) runs on one
    # backend, whose CPU is then the relay's alone.
    relay_engine = create_async_engine(url, connect_args=options, pool_size=1, max_overflow=0)
    return filler, relay_engine, Outbox(table, channel=f"{schema}_outbox")


async def fill(filler: AsyncEngine, outbox: Outbox, n: int) -> None:
    if n:
        async with filler.begin() as conn:
            await conn.execute(outbox.table.insert(), [
                {"event_id": uuid.uuid4(), "topic": "bench-topic", "key": f"conv-{i % 7}",
                 "event_type": "bench.event.v1", "payload": PAYLOAD} for i in range(n)])


async def sample(relay: OutboxRelay, filler: AsyncEngine, outbox: Outbox, counts: Counts,
                 backend: int, n: int, quiet: bool) -> dict[str, float]:
    batches = BATCHES[n]
    client = wall = 0.0
    statements0, transactions0 = counts.statements, counts.transactions
    pg0 = backend_cpu_ms(backend)
    for _ in range(batches):
        await fill(filler, outbox, n)
        if quiet:
            relay._last_backlog_check -= 2.0  # the previous batch was over a second ago
            relay._woken = False  # the new relay: woken by its fallback poll, not a NOTIFY
        cpu0, wall0 = time.process_time(), time.monotonic()
        assert await relay.publish_batch() == n
        client += time.process_time() - cpu0
        wall += time.monotonic() - wall0
    pg = backend_cpu_ms(backend) - pg0
    return {"statements": (counts.statements - statements0) / batches,
            "transactions": (counts.transactions - transactions0) / batches,
            "relay_cpu_ms": client * 1000 / batches, "pg_cpu_ms": pg / batches,
            "wall_ms": wall * 1000 / batches}


async def measure(url: str) -> dict:
    filler, relay_engine, outbox = await engines(url)
    async with relay_engine.connect() as conn:
        backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    counts = Counts(relay_engine)
    relay = OutboxRelay(relay_engine, outbox, cast(Any, Acknowledging()), name="bench")
    for n in SIZES:  # warm up
        await sample(relay, filler, outbox, counts, backend, n, quiet=False)
    found: dict[str, dict[str, dict[str, float]]] = {}
    for n in SIZES:
        found[f"batch of {n}"] = {
            rhythm: await sample(relay, filler, outbox, counts, backend, n, quiet=rhythm == "quiet")
            for rhythm in ("busy", "quiet")}
    await filler.dispose()
    await relay_engine.dispose()
    return found


if __name__ == "__main__":
    import shared
    result = asyncio.run(measure(sys.argv[1]))
    print(json.dumps({"tree": str(shared.__path__[0]), "ops": result}))

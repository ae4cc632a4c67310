"""Before/after of the audit service's batch append (services.audit.batch), on a real
PostgreSQL started here: a fetched batch of workflow events (bench.audit_workflow: 11 per
message and answer, 2 of them staff reads) applied in one inbox transaction, either by the
per-event handler, store.append for each (before), or by the batch handler, one
append_batch (after). The chain is the service's own (signing, facts, review selection,
the auditors' stream through the outbox, a checkpoint every 1000 records).

Batches of 1, 10 and 50 events; the old and the new path alternate round by round (and
which goes first alternates too), so load from elsewhere on the machine hits both alike.
Per event: SQL statements sent (cursor executions; BEGIN and COMMIT not counted), CPU of
this process (where the audit code runs) and of the PostgreSQL server (all its processes,
from /proc), and wall time. Medians over the rounds.

    python -m bench.auditbatch [--rounds 8] [--out bench/results/perf5]"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import procstat
from bench.audit_workflow import mix
from devstack.config import test_config
from devstack.supervisor import Stack
from services.audit import roles, store, tables
from services.audit.handlers import make_batch_handler, make_handlers
from services.audit.migrations import MIGRATIONS
from services.audit.recording import Recording
from services.audit.signing import Signer
from shared.events import Source, decode_data
from shared.events.wiring import wire_name
from shared.inbox import EventConsumer, Handler, _Ready
from shared.outbox import Outbox

SIZES = (1, 10, 50)
EVENTS_PER_SAMPLE = 200  # per side, size and round: 200 batches of 1, 20 of 10, 4 of 50


def make_chain() -> store.Chain:
    outbox = Outbox(tables.outbox, channel="audit_outbox")
    source = Source(service="audit", region="bench")
    recording = Recording(outbox=outbox, source=source)
    return store.Chain(signer=Signer.from_setting(base64.b64encode(b"b" * 32).decode(), "bench"),
                       outbox=outbox, source=source, checkpoint_every=1000,
                       after=recording.after_append, after_batch=recording.after_batch)


async def audit_log(url: str) -> AsyncEngine:
    """An empty audit log in its own schema, migrated as the service migrates it."""
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    engine = create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"},
                                 pool_size=1)
    await MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        await conn.run_sync(roles.ensure_partitions, 2)
    return engine


def consumers(engine: AsyncEngine, chain: store.Chain) -> tuple[EventConsumer, EventConsumer]:
    handlers = {wire_name(c): h for c, h in make_handlers(chain).items()}

    def consumer(side: str, batch: bool) -> EventConsumer:
        return EventConsumer(name=f"bench-{side}", topics=[], bootstrap="", engine=engine,
                             inbox=tables.inbox, handlers=handlers, producer=cast(Any, None),
                             batch_handler=make_batch_handler(chain) if batch else None)
    return consumer("before", False), consumer("after", True)


def batches(size: int, handlers: Mapping[str, Handler]) -> list[list[_Ready]]:
    """EVENTS_PER_SAMPLE events of workflows five at a time, cut into batches of `size`."""
    stream = [e for _ in range(EVENTS_PER_SAMPLE // 55 + 1) for e in mix(55)]
    ready = [_Ready(cast(Any, None), e, decode_data(e), handlers[e.wire_name])
             for e in stream[:EVENTS_PER_SAMPLE]]
    return [ready[i:i + size] for i in range(0, len(ready), size)]


class Statements:
    """Counts the SQL statements the engine sends (each cursor execution)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_: object) -> None:
        self.count += 1


async def sample(consumer: EventConsumer, work: list[list[_Ready]], pg_pid: int,
                 statements: Statements) -> dict[str, float]:
    n = sum(len(b) for b in work)
    count0, cpu0 = statements.count, time.process_time()
    pg0, wall0 = procstat.cpu_ms({"pg": pg_pid}), time.monotonic()
    for items in work:
        await consumer._apply_batch(items)
    wall = (time.monotonic() - wall0) * 1000
    client = (time.process_time() - cpu0) * 1000
    pg = procstat.delta(procstat.cpu_ms({"pg": pg_pid}), pg0)["pg"]
    return {"statements": (statements.count - count0) / n, "audit_cpu_ms": client / n,
            "pg_cpu_ms": pg / n, "cpu_ms": (client + pg) / n, "wall_ms": wall / n}


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(s[k] for s in samples), 3) for k in samples[0]}


async def measure(url: str, pg_pid: int, rounds: int) -> dict:
    engine = await audit_log(url)
    statements = Statements(engine)
    before, after = consumers(engine, make_chain())
    found: dict[int, dict[str, list]] = {n: {"before": [], "after": []} for n in SIZES}
    handlers = before._handlers
    await sample(before, batches(10, handlers), pg_pid, statements)  # warm up both paths
    await sample(after, batches(10, handlers), pg_pid, statements)
    for r in range(rounds):
        for n in SIZES:
            sides = [("before", before), ("after", after)]
            for side, consumer in sides if r % 2 == 0 else reversed(sides):
                found[n][side].append(
                    await sample(consumer, batches(n, handlers), pg_pid, statements))
    await engine.dispose()
    result: dict[str, Any] = {"rounds": rounds, "events_per_sample": EVENTS_PER_SAMPLE}
    for n in SIZES:
        result[f"batch_of_{n}"] = {"per_event_before": medians(found[n]["before"]),
                                   "per_event_after": medians(found[n]["after"]),
                                   "samples": found[n]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-auditbatch-"))
    data_dir.chmod(0o755)  # the postgres user needs to reach pg/ inside it
    cfg = test_config(data_dir, base_port=30800)
    with Stack(cfg) as stack:
        server = stack.pg["pg-platform"]
        server.start()  # PostgreSQL only: no Kafka needed here
        pid = server.postmaster_pid()
        assert pid is not None
        result = asyncio.run(measure(cfg.database_url("platform", "scratch"), pid, args.rounds))
    summary = {k: {s: v[s] for s in ("per_event_before", "per_event_after")}
               for k, v in result.items() if k.startswith("batch_of_")}
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "auditbatch.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

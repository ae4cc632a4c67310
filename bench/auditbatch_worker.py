"""One measuring process of bench.auditbatch: the audit service's inbox transaction for a
fetched batch of workflow events, on a real PostgreSQL, with whichever `services`/`shared`
packages are first on PYTHONPATH (this branch's, or an older commit's extracted by the
driver), so the old and the new code run alike.

Both paths of the service, for batches of 1, 10 and 50 events: the per-event handler
(store.append for each event) and the batch handler (one services.audit.batch.append_batch).
Per event: SQL statements sent (cursor executions; BEGIN and COMMIT not counted),
compiled-statement cache misses after the warm-up, CPU of this process (where the audit code
runs) and of the PostgreSQL server (all its processes, from /proc), and wall time. Prints one
JSON object.

    python bench/auditbatch_worker.py URL PG_PID    (run by bench.auditbatch)"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.engine.default import CACHE_MISS
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import procstat
from bench.audit_workflow import mix
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

    def consumer(path: str, batch: bool) -> EventConsumer:
        return EventConsumer(name=f"bench-{path}", topics=[], bootstrap="", engine=engine,
                             inbox=tables.inbox, handlers=handlers, producer=cast(Any, None),
                             batch_handler=make_batch_handler(chain) if batch else None)
    return consumer("per-event", False), consumer("batch", True)


def batches(size: int, handlers: Mapping[str, Handler]) -> list[list[_Ready]]:
    """EVENTS_PER_SAMPLE events of workflows five at a time, cut into batches of `size`."""
    stream = [e for _ in range(EVENTS_PER_SAMPLE // 55 + 1) for e in mix(55)]
    ready = [_Ready(cast(Any, None), e, decode_data(e), handlers[e.wire_name])
             for e in stream[:EVENTS_PER_SAMPLE]]
    return [ready[i:i + size] for i in range(0, len(ready), size)]


class Statements:
    """Counts the SQL statements the engine sends (each cursor execution) and those whose
    compiled form was not in SQLAlchemy's cache."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = self.misses = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, conn, cursor, statement, params, context, executemany) -> None:
        self.count += 1
        if getattr(context, "cache_hit", None) is CACHE_MISS:
            self.misses += 1


async def sample(consumer: EventConsumer, work: list[list[_Ready]], pg_pid: int,
                 statements: Statements) -> dict[str, float]:
    n = sum(len(b) for b in work)
    count0, misses0, cpu0 = statements.count, statements.misses, time.process_time()
    pg0, wall0 = procstat.cpu_ms({"pg": pg_pid}), time.monotonic()
    for items in work:
        await consumer._apply_batch(items)
    wall = (time.monotonic() - wall0) * 1000
    client = (time.process_time() - cpu0) * 1000
    pg = procstat.delta(procstat.cpu_ms({"pg": pg_pid}), pg0)["pg"]
    return {"statements": (statements.count - count0) / n,
            "cache_misses": (statements.misses - misses0) / n, "audit_cpu_ms": client / n,
            "pg_cpu_ms": pg / n, "cpu_ms": (client + pg) / n, "wall_ms": wall / n}


async def measure(url: str, pg_pid: int) -> dict:
    engine = await audit_log(url)
    statements = Statements(engine)
    per_event, batch = consumers(engine, make_chain())
    handlers = per_event._handlers
    for consumer in (per_event, batch):  # warm up both paths (and every batch size)
        for n in SIZES:
            await sample(consumer, batches(n, handlers)[:3], pg_pid, statements)
    found: dict[str, dict[str, dict[str, float]]] = {}
    for n in SIZES:
        found[f"batch of {n}"] = {
            path: await sample(consumer, batches(n, handlers), pg_pid, statements)
            for path, consumer in (("per-event path", per_event), ("batch path", batch))}
    await engine.dispose()
    return found


if __name__ == "__main__":
    import services
    result = asyncio.run(measure(sys.argv[1], int(sys.argv[2])))
    print(json.dumps({"tree": str(services.__path__[0]), "ops": result}))

"""Before/after of the consumer-path changes, on a real PostgreSQL, the old and the new way
alternating (so load from elsewhere on the machine hits both alike); CPU of this process and
of the PostgreSQL server (all its backends), and wall time:

- applying 100 fetched events: one transaction each (before) or one per fetched batch
  (after; shared.inbox.EventConsumer.process_batch);
- a one-row commit through the pool: pinged before every transaction (pool_pre_ping,
  before) or checked only when closed by the server or idle 5 s (after; shared.db).

    python -m bench.eventpaths [--out bench/results]"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

from bench import cli, procstat
from devstack.supervisor import Stack
from shared import db
from shared.events import Source, decode_data, new_event
from shared.events.contracts import PatientRegistered
from shared.inbox import EventConsumer, _Ready, define_inbox

metadata = MetaData()
inbox = define_inbox(metadata)
effects = Table("bench_effects", metadata, Column("event_id", String(100), primary_key=True),
                Column("applied", Integer, nullable=False))
EVENTS, REPEATS, COMMITS = 100, 5, 300


async def effect(conn, envelope, data) -> None:
    await conn.execute(insert(effects).values(event_id=str(envelope.event_id), applied=1))


def ready_events() -> list[_Ready]:
    source = Source(service="bench", region="local")
    events = [new_event(PatientRegistered(patient_id=f"p-{i}"), source=source, subject="b")
              for i in range(EVENTS)]
    return [_Ready(cast(Any, None), e, decode_data(e), effect) for e in events]


async def timed(pg_pid: int, run) -> dict:
    cpu0, pg0, wall0 = time.process_time(), procstat.cpu_ms({"pg": pg_pid}), time.monotonic()
    await run()
    return {"client_cpu_ms": (time.process_time() - cpu0) * 1000,
            "pg_cpu_ms": procstat.delta(procstat.cpu_ms({"pg": pg_pid}), pg0)["pg"],
            "wall_ms": (time.monotonic() - wall0) * 1000}


def per(samples: list[dict], n: int) -> dict:
    return {k: round(sum(s[k] for s in samples) / len(samples) / n, 3) for k in samples[0]}


async def batch_pair(url: str, pg_pid: int) -> dict:
    engine = db.make_engine(url)
    consumer = EventConsumer(name=f"bench-{uuid.uuid4().hex[:8]}", topics=[], bootstrap="",
                             engine=engine, inbox=inbox, handlers={}, producer=cast(Any, None))
    before, after = [], []

    async def one_by_one() -> None:
        for item in ready_events():
            await consumer._apply(item.envelope, item.data, item.handler)

    async def batched() -> None:
        await consumer._apply_batch(ready_events())
    for _ in range(REPEATS):
        before.append(await timed(pg_pid, one_by_one))
        after.append(await timed(pg_pid, batched))
    await engine.dispose()
    return {"per_event_before": per(before, EVENTS), "per_event_after": per(after, EVENTS)}


async def ping_pair(url: str, pg_pid: int) -> dict:
    pinged = create_async_engine(url, pool_size=1, pool_pre_ping=True)
    checked = db.make_engine(url, pool_size=1)

    def commits(engine):
        async def run() -> None:
            for _ in range(COMMITS):
                async with engine.begin() as conn:
                    await conn.execute(text("SELECT 1"))
        return run
    before, after = [], []
    for _ in range(REPEATS):
        before.append(await timed(pg_pid, commits(pinged)))
        after.append(await timed(pg_pid, commits(checked)))
    await pinged.dispose()
    await checked.dispose()
    return {"per_commit_before": per(before, COMMITS), "per_commit_after": per(after, COMMITS)}


async def measure(url: str, pg_pid: int) -> dict:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    return {"batch_of_100_events": await batch_pair(url, pg_pid),
            "one_row_commit": await ping_pair(url, pg_pid)}


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data_dir = cli.stack_dir("eventpaths")
    cfg = cli.stack_config(data_dir, 30700)
    with Stack(cfg) as stack:
        stack.start_infrastructure()
        pid = stack.pg["pg-platform"].postmaster_pid()
        assert pid is not None
        result = asyncio.run(measure(cfg.database_url("platform", "scratch"), pid))
    print(json.dumps(result, indent=1))
    if args.out:
        (args.out / "eventpaths.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

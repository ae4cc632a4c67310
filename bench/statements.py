"""What one complete workflow asks of each PostgreSQL server, statement by statement: the
round trips behind the commits per workflow that bench/throughput.py counts.

    python -m bench.statements [--seconds 20] [--concurrency 2] [--out FILE]

Starts its own stack like bench/throughput.py (same port block and lock, test settings) with
pg_stat_statements loaded in every server, runs the workflow of bench/workflow.py, and
reports per server and database the statements per workflow by kind (BEGIN, COMMIT,
ROLLBACK, SELECT, INSERT, ...) and the most frequent statements. What the idle system runs
in a window of the same length (relays' fallback polls, consumers' checks) is measured
first and taken off. Only statements a client sends are counted (track = top): a BEGIN is
a round trip of its own with psycopg, a statement inside a trigger is not."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import httpx

from bench import cli, workflow
from bench.throughput import claim_port_block, long_tokens
from devstack.config import StackConfig, test_config
from devstack.supervisor import Stack

SETTINGS = ("shared_preload_libraries = 'pg_stat_statements'",
            "pg_stat_statements.max = 5000", "pg_stat_statements.track_utility = on")
TAIL_S = 3.0  # asynchronous work after the last response: mails, audit, relays


def kind(query: str) -> str:
    words = query.split(None, 1)
    return words[0].upper() if words else "?"


def snapshot(stack: Stack) -> dict[tuple[str, str, str], int]:
    """(server, database, query) -> calls since the last reset."""
    calls: dict[tuple[str, str, str], int] = {}
    for name, server in stack.pg.items():
        with server.admin_connect() as conn:
            rows = conn.execute(
                "SELECT d.datname, s.query, s.calls FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname <> 'postgres'").fetchall()
        for db, query, n in rows:
            key = (name, db, " ".join(query.split()))
            calls[key] = calls.get(key, 0) + n
    return calls


def sessions(stack: Stack) -> dict[str, int]:
    """Connections opened so far, per server (a pool that closes and reopens connections
    under load shows here: each is a backend started and a SCRAM login)."""
    opened = {}
    for name, server in stack.pg.items():
        with server.admin_connect() as conn:
            opened[name] = int(conn.execute(
                "SELECT sum(sessions) FROM pg_stat_database").fetchone()[0])
    return opened


def reset(stack: Stack) -> None:
    for server in stack.pg.values():
        with server.admin_connect() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT pg_stat_statements_reset()")


def per_workflow(busy: dict, idle: dict, busy_s: float, idle_s: float, n: int) -> dict:
    """Calls per workflow, net of the idle rate over the busy window."""
    net = {}
    for key, calls in busy.items():
        value = (calls - idle.get(key, 0) * busy_s / idle_s) / n
        if value > 0.005:
            net[key] = value
    return net


def summarize(net: dict, top: int) -> dict:
    by_kind: dict = defaultdict(lambda: defaultdict(float))
    for (server, db, query), value in net.items():
        by_kind[f"{server}/{db}"][kind(query)] += value
    ordered = sorted(net.items(), key=lambda kv: -kv[1])[:top]
    return {
        "by_database": {where: {k: round(v, 2) for k, v in sorted(kinds.items())}
                        for where, kinds in sorted(by_kind.items())},
        "total": round(sum(net.values()), 2),
        "total_by_kind": {k: round(sum(v.get(k, 0) for v in by_kind.values()), 2)
                          for k in sorted({k for v in by_kind.values() for k in v})},
        "most_frequent": [{"where": f"{s}/{d}", "per_workflow": round(v, 2),
                           "query": q[:240]} for (s, d, q), v in ordered],
    }


async def measure(stack: Stack, seconds: float, concurrency: int, top: int) -> dict:
    gateway = stack.specs["gateway"].url
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        people = await workflow.log_in_everyone(http)
        await workflow.run_step(people, concurrency, 3.0)  # warm-up: caches, pools
        await asyncio.sleep(TAIL_S)
        reset(stack)
        await asyncio.sleep(seconds)
        idle = snapshot(stack)
        reset(stack)
        opened0 = sessions(stack)
        t0 = time.monotonic()
        result = await workflow.run_step(people, concurrency, seconds)
        await asyncio.sleep(TAIL_S)
        busy_s = time.monotonic() - t0
        busy = snapshot(stack)
        opened = {k: v - opened0[k] for k, v in sessions(stack).items()}
    if not result.completed:
        raise RuntimeError(f"no workflow completed: {result.error_kinds}")
    net = per_workflow(busy, idle, busy_s, seconds, result.completed)
    return {"workflows": result.completed, "errors": result.errors,
            "concurrency": concurrency,
            # Our own admin connections (two per server per snapshot) are in these counts.
            "connections_opened_per_workflow": {
                k: round(v / result.completed, 3) for k, v in opened.items()},
            **summarize(net, top)}


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    data_dir = cli.stack_dir("statements")
    cfg: StackConfig = replace(test_config(data_dir, base_port=claim_port_block()),
                               pg_settings=SETTINGS)
    with Stack(cfg) as stack:
        stack.start_infrastructure()
        long_tokens(stack)
        stack.start_services()
        found = asyncio.run(measure(stack, args.seconds, args.concurrency, args.top))
    text = json.dumps(found, indent=1, ensure_ascii=False)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

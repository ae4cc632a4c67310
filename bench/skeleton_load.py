"""Drives the skeleton baseline (bench/skeleton.py) with the real workflow's counts: each
client runs skeleton workflows one after another, each the same number of HTTP requests
through the proxy as a real workflow, with the PostgreSQL commits, Kafka round trips and
internal calls spread over them. A workflow is complete when its requests have answered; the
step ends when the consumer has also caught up with every record produced in it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import psycopg

from bench.workflow import StepResult


@dataclass(frozen=True)
class Counts:
    """Per complete workflow, rounded to whole numbers."""

    requests: int  # through the gateway
    internal_calls: int  # service-to-service HTTP beyond those
    commits: int  # PostgreSQL commits in all, the consumers' among them
    round_trips: int  # Kafka records produced and consumed
    # The consumers' share of the commits (they apply several records per transaction);
    # 0: one per record consumed, as before the calibration counted them.
    consumer_commits: int = 0

    def records_per_commit(self) -> int:
        """How many consumed records the skeleton's consumer applies per transaction."""
        if not self.consumer_commits:
            return 1
        return max(round(self.round_trips / self.consumer_commits), 1)

    def spread(self) -> list[dict[str, int]]:
        """Per request: how many commits, events and calls it makes (the commits the
        consumer does not make)."""
        n = max(self.requests, 1)
        consumed = -(-self.round_trips // self.records_per_commit())  # ceiling
        http_commits = max(self.commits - consumed, 0)

        def share(total: int, i: int) -> int:
            return total // n + (1 if i < total % n else 0)
        return [{"commits": share(http_commits, i), "events": share(self.round_trips, i),
                 "calls": share(self.internal_calls, i)} for i in range(n)]


async def run_step(proxy: str, counts: Counts, concurrency: int, duration_s: float,
                   dsn: str) -> tuple[StepResult, list[float]]:
    result = StepResult(started=time.monotonic())
    stop_at = result.started + duration_s
    plan = counts.spread()
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as db:
        before = (await (await db.execute("SELECT count(*) FROM skel_inbox")).fetchone())[0]
        since = (await (await db.execute("SELECT now()")).fetchone())[0]
        async with httpx.AsyncClient(base_url=proxy, timeout=30) as http:

            async def client() -> None:
                while time.monotonic() < stop_at:
                    t0 = time.perf_counter()
                    try:
                        for params in plan:
                            result.requests += 1
                            (await http.post("/work", params=params, json={})).raise_for_status()
                        result.completed += 1
                        result.workflow_s.append(time.perf_counter() - t0)
                    except httpx.HTTPError as exc:
                        result.errors += 1
                        kind = type(exc).__name__
                        result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
            await asyncio.gather(*(client() for _ in range(concurrency)))
        expected = before + result.completed * counts.round_trips
        deadline = time.monotonic() + 30
        while (await (await db.execute("SELECT count(*) FROM skel_inbox")).fetchone())[0] \
                < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        result.finished = time.monotonic()
        rows = await (await db.execute(
            "SELECT extract(epoch FROM consumed_at - produced_at) FROM skel_inbox "
            "WHERE consumed_at >= %s", (since,))).fetchall()
    return result, [float(r[0]) for r in rows]

"""The skeleton baseline: the same plumbing as one real workflow with no business logic.

Two processes on the same Kafka and PostgreSQL as the real stack, built from the same
libraries (FastAPI on uvicorn, httpx, SQLAlchemy + psycopg, aiokafka):
  proxy    forwards every request to the backend (as the gateway does for the API)
  backend  POST /work?commits=C&events=E&calls=I makes C one-row commits, produces E Kafka
           records (acks=all, idempotent) and I internal HTTP calls; a consumer in the same
           process reads the records and writes a row per record (an inbox), in one
           transaction per --records-per-commit records (what the real consumers applied
           per transaction in the calibration), before it commits the offsets (as often as
           the real consumers do).
The benchmark spreads the real workflow's measured counts over the same number of requests:
the commits the consumer does not make are the requests'.

    python -m bench.skeleton proxy --port P --backend http://127.0.0.1:Q
    python -m bench.skeleton backend --port Q --dsn postgresql+psycopg://... --kafka HOST:PORT
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from shared.db import make_engine
from shared.inbox import COMMIT_EVERY_S
from shared.kafka import KafkaAuth, ensure_topics, make_consumer, make_producer

TOPIC, GROUP = "bench.skeleton", "bench-skeleton"
TABLES = (("CREATE TABLE IF NOT EXISTS skel_rows (id bigserial PRIMARY KEY, "
          "at timestamptz NOT NULL DEFAULT now())"),
          ("CREATE TABLE IF NOT EXISTS skel_inbox (id bigserial PRIMARY KEY, "
          "produced_at timestamptz NOT NULL, consumed_at timestamptz NOT NULL DEFAULT now())"))


def proxy_app(backend: str) -> FastAPI:
    client = httpx.AsyncClient(base_url=backend, timeout=30)
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def forward(path: str, request: Request) -> Response:
        r = await client.request(request.method, f"/{path}", params=request.query_params,
                                 content=await request.body(),
                                 headers={"content-type": "application/json"})
        return Response(r.content, r.status_code, media_type="application/json")
    return app


# Enough pooled connections for a step's bursts (a request's commits and a fetch's records
# side by side): with the services' pool (10 + 10 overflow) the overflow connections were
# closed on return and opened again for the next burst, a PostgreSQL backend and a SCRAM
# login each time, which made the skeleton at 4 clients slower than at 2 and its database
# CPU per workflow ten times larger. The services apply a fetch in one transaction and do
# not burst like this.
POOL_SIZE = 60


def backend_app(dsn: str, kafka: str, port: int, records_per_commit: int = 1) -> FastAPI:
    engine = make_engine(dsn, pool_size=POOL_SIZE)
    producers = []  # made in the lifespan: aiokafka wants the running loop
    # The stack's broker lets in only known users (SKELETON_KAFKA_USERNAME / _PASSWORD).
    auth = (KafkaAuth("SASL_PLAINTEXT", "SCRAM-SHA-512", os.environ["SKELETON_KAFKA_USERNAME"],
                      os.environ.get("SKELETON_KAFKA_PASSWORD", ""))
            if os.environ.get("SKELETON_KAFKA_USERNAME") else KafkaAuth())
    self_client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)

    async def commit_one(statement: str, **params: float) -> None:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)

    async def receive(timestamps_ms: list[int]) -> None:
        """One transaction for these records, a row each (the real inbox's batch)."""
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO skel_inbox (produced_at) "
                "SELECT to_timestamp(t) FROM unnest(CAST(:ts AS float8[])) AS t"),
                {"ts": [t / 1000 for t in timestamps_ms]})

    async def consume() -> None:
        consumer = make_consumer(kafka, GROUP, [TOPIC], auth)
        await consumer.start()
        pending: dict = {}
        last_commit = time.monotonic()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                # As many records per transaction as the real consumers applied in the
                # calibration (at most a fetch's, whichever partitions they came from), the
                # transactions side by side as the real system's consumer groups run.
                stamps = [r.timestamp for records in batches.values() for r in records]
                await asyncio.gather(*(receive(stamps[i:i + records_per_commit])
                                       for i in range(0, len(stamps), records_per_commit)))
                for tp, records in batches.items():
                    pending[tp] = records[-1].offset + 1
                # Offsets as the real consumers commit them (shared.inbox): at most once a
                # second while records come, and at the first idle round after them.
                if pending and (not batches
                                or time.monotonic() - last_commit >= COMMIT_EVERY_S):
                    await consumer.commit(pending)
                    pending, last_commit = {}, time.monotonic()
        finally:
            await consumer.stop()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        async with engine.begin() as conn:
            for ddl in TABLES:
                await conn.execute(text(ddl))
        await ensure_topics(kafka, [TOPIC], auth=auth)
        producers.append(make_producer(kafka, "bench-skeleton", auth))
        await producers[0].start()
        task = asyncio.create_task(consume())
        yield
        task.cancel()
        await producers[0].stop()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/work")
    async def work(commits: int = 0, events: int = 0, calls: int = 0) -> dict:
        # The real workflow's commits happen in several processes at once, and its events
        # leave in batches (outbox relays): side by side here too.
        await asyncio.gather(*(commit_one("INSERT INTO skel_rows DEFAULT VALUES")
                               for _ in range(commits)))
        sent = [await producers[0].send(TOPIC, b"{}", key=str(time.time_ns()).encode())
                for _ in range(events)]
        await asyncio.gather(*sent)
        for _ in range(calls):
            (await self_client.get("/lookup")).raise_for_status()
        return {}

    @app.get("/lookup")
    async def lookup() -> dict:
        return {}
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["proxy", "backend"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend")
    parser.add_argument("--dsn")
    parser.add_argument("--kafka")
    parser.add_argument("--records-per-commit", type=int, default=1)
    args = parser.parse_args()
    app = (proxy_app(args.backend) if args.role == "proxy"
           else backend_app(args.dsn, args.kafka, args.port, args.records_per_commit))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

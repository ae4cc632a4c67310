"""What the benchmark reads from the running system besides the clients' own timings:

- latencies stamped by the databases (no client polling in them): submit -> in the unit
  inbox is `received_at - submitted_at` of the care-unit row; answer -> visible to the
  patient is the patient database's inbox row of the ReplySent event (processed in the same
  transaction that stores the answer) minus the care-unit outbox row that carried it;
- per-workflow counts of the real workflow, for the skeleton baseline: HTTP requests served
  by each service (its Prometheus `http_requests_total`), PostgreSQL commits
  (`pg_stat_database.xact_commit` of every database of the three servers) and Kafka records
  produced (end offsets) and consumed (committed offsets of every consumer group)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devstack.config import StackConfig


def _dsn(cfg: StackConfig, server: str, database: str) -> str:
    return cfg.database_url(server, database).replace("+psycopg", "")


def percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "p99": None, "n": 0}

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
    return {"p50": at(50), "p95": at(95), "p99": at(99), "n": len(ordered)}


async def submit_to_inbox_s(cfg: StackConfig, ids: list[str]) -> list[float]:
    async with await psycopg.AsyncConnection.connect(
            _dsn(cfg, "careunit", "careunit_mailbox")) as conn:
        rows = await (await conn.execute(
            "SELECT extract(epoch FROM received_at - submitted_at) FROM unit_messages "
            "WHERE message_id = ANY(%s)", (ids,))).fetchall()
    return [float(r[0]) for r in rows]


async def answer_to_patient_s(cfg: StackConfig, ids: list[str]) -> list[float]:
    async with await psycopg.AsyncConnection.connect(
            _dsn(cfg, "careunit", "careunit_mailbox")) as conn:
        sent = dict(await (await conn.execute(
            "SELECT o.event_id, o.created_at FROM outbox o JOIN unit_messages m "
            "ON o.key = m.conversation_id WHERE m.message_id = ANY(%s) "
            "AND o.event_type LIKE 'messaging.reply_sent%%'", (ids,))).fetchall())
    async with await psycopg.AsyncConnection.connect(
            _dsn(cfg, "patient", "patient_mailbox")) as conn:
        arrived = dict(await (await conn.execute(
            "SELECT event_id, min(processed_at) FROM inbox WHERE event_id = ANY(%s) "
            "GROUP BY event_id", (list(sent),))).fetchall())
    return [(arrived[e] - sent[e]).total_seconds() for e in sent if e in arrived]


async def pg_commits(cfg: StackConfig) -> int:
    """Commits so far on every server (stats are flushed about once a second)."""
    total = 0
    for server in cfg.pg_servers:
        database = server.databases[0]
        async with await psycopg.AsyncConnection.connect(_dsn(cfg, server.name, database)) as c:
            total += (await (await c.execute(
                "SELECT sum(xact_commit) FROM pg_stat_database")).fetchone())[0]
    return int(total)


async def db_now(cfg: StackConfig) -> datetime:
    async with await psycopg.AsyncConnection.connect(_dsn(cfg, "platform", "audit")) as conn:
        return (await (await conn.execute("SELECT now()")).fetchone())[0]


async def consumer_transactions(cfg: StackConfig, since: datetime) -> int:
    """Transactions in which the consumers applied events since `since`: the distinct
    `xmin` of the inbox rows (shared.inbox: one per applied event, written in the transaction
    that applied it) written since then, in every database that has an inbox."""
    total = 0
    for server in cfg.pg_servers:
        for database in server.databases:
            async with await psycopg.AsyncConnection.connect(
                    _dsn(cfg, server.name, database)) as conn:
                if (await (await conn.execute(
                        "SELECT to_regclass('inbox')")).fetchone())[0] is None:
                    continue
                total += (await (await conn.execute(
                    "SELECT count(DISTINCT xmin::text) FROM inbox WHERE processed_at >= %s",
                    (since,))).fetchone())[0]
    return int(total)


_REQUESTS = re.compile(r'^http_requests_total\{[^}]*route="([^"]*)"[^}]*\} ([0-9.e+]+)$', re.MULTILINE)


async def http_requests(urls: dict[str, str]) -> dict[str, float]:
    """Requests each service has served so far (health and metrics scrapes left out)."""
    out = {}
    async with httpx.AsyncClient(timeout=10, follow_redirects=True) as http:
        for name, url in urls.items():
            try:
                text = (await http.get(f"{url}/metrics")).text
            except httpx.HTTPError:
                continue
            out[name] = sum(float(n) for route, n in _REQUESTS.findall(text)
                            if not route.startswith(("/healthz", "/readyz", "/metrics")))
    return out


async def kafka_records(bootstrap: str, login: dict | None = None) -> tuple[int, int]:
    """(records produced, records consumed and committed) so far, over every topic and
    every consumer group. `login`: aiokafka's SASL options (the stack's admin)."""
    by_topic, by_group = await kafka_records_by_name(bootstrap, login)
    return sum(by_topic.values()), sum(by_group.values())


async def kafka_records_by_name(bootstrap: str, login: dict | None = None
                                ) -> tuple[dict[str, int], dict[str, int]]:
    """Records produced so far per topic (end offsets) and consumed per consumer group
    (committed offsets): where a workflow's records go and who reads them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(login or {}))
    # no group: only reads offsets
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, **(login or {}))
    await admin.start()
    await reader.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
        tps = [TopicPartition(d["topic"], p["partition"])
               for d in await admin.describe_topics(topics) for p in d["partitions"]]
        produced: dict[str, int] = {}
        for tp, end in (await reader.end_offsets(tps)).items():
            produced[tp.topic] = produced.get(tp.topic, 0) + end
        groups = [g[0] for g in await admin.list_consumer_groups()]
        offsets = await asyncio.gather(*(admin.list_consumer_group_offsets(g) for g in groups))
        consumed = {g: sum(max(m.offset, 0) for m in o.values())
                    for g, o in zip(groups, offsets, strict=True)}
    finally:
        await reader.stop()
        await admin.close()
    return produced, consumed

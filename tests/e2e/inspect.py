"""Looking inside the running system the way an auditor or a security reviewer would:
the audit API, every Kafka record, every database column, the SMTP sink's mailbox."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from devstack.services import service_url
from tests.e2e import kafka_clients


async def mails_to(stack, address: str) -> list[dict]:
    url = f"http://127.0.0.1:{stack.cfg.mailsink_http_port}/api/messages"
    async with httpx.AsyncClient() as http:
        messages = (await http.get(url)).json()
    return [m for m in messages if address in m["rcpt_tos"]]


async def audit_records(stack, subject: str, expected_types: set[str]) -> list[dict] | None:
    """The audit log's records for `subject`, once every expected event type is there."""
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "audit")) as http:
        response = await http.get("/v1/records", params={"subject": subject, "limit": 1000},
                                  headers={"X-Internal-Api-Key": stack.cfg.internal_credential("operator")})
    response.raise_for_status()
    body = response.json()
    records = body["records"] if isinstance(body, dict) else body
    seen = {r["event_type"].rsplit(".v", 1)[0] for r in records}
    return records if expected_types <= seen else None


async def all_partitions(stack) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**kafka_clients.admin(stack))
    await admin.start()
    try:
        described = await admin.describe_topics(await admin.list_topics())
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described
            for p in t["partitions"]]


async def kafka_records_containing(stack, needle: bytes) -> list[str]:
    """Read every record of every topic from the beginning; return where `needle` appears."""
    consumer = AIOKafkaConsumer(**kafka_clients.admin(stack),
                                enable_auto_commit=False)
    await consumer.start()
    hits: list[str] = []
    try:
        partitions = await all_partitions(stack)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        while remaining:
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            for tp, records in batch.items():
                for r in records:
                    headers = b"".join(v or b"" for _, v in r.headers or ())
                    if needle in (r.value or b"") + (r.key or b"") + headers:
                        hits.append(f"{tp.topic}[{tp.partition}]@{r.offset}")
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()
    return hits


async def clear_text_columns_containing(stack, needle: str) -> list[str]:
    """Search every column of every table in every database of every PostgreSQL server."""
    hits: list[str] = []
    for server in stack.cfg.pg_servers:
        for database in server.databases:
            dsn = stack.cfg.database_url(server.name, database).replace("+psycopg", "")
            async with await psycopg.AsyncConnection.connect(dsn) as conn:
                columns = await (await conn.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public'")).fetchall()
                for table, column, data_type in columns:
                    probe = (f'position(%s::bytea in "{column}") > 0' if data_type == "bytea"
                             else f'"{column}"::text LIKE %s')
                    arg = needle.encode() if data_type == "bytea" else f"%{needle}%"
                    found = await (await conn.execute(
                        f'SELECT count(*) FROM "{table}" WHERE {probe}', (arg,))).fetchone()
                    if found and found[0]:
                        hits.append(f"{server.name}/{database}.{table}.{column}")
    return hits

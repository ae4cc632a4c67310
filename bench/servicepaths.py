"""Before/after of this round's service-path changes, against the real services of a stack
(port block 31000, fresh /tmp/bench-servicepaths-* directory), the old and the new way
alternating in rounds so load from elsewhere on the machine hits both alike. CPU per call is
summed over this process (the caller's side) and every process that serves the call:

- a notification mail: one SMTP session per mail (aiosmtplib.send: connect, EHLO, MAIL,
  RCPT, DATA, QUIT; before) or the notifier's kept-open connection (after), to the stack's
  mail sink;
- a form submission's validation: an HTTP call to forms' validation endpoint, which reads
  the version from its database (before), or the patient mailbox's own validation on its
  cached copy of the published version (after);
- delivery latency of a record to an idle consumer (produce → getmany returns), for the
  consumers' old fetch wait (0.5 s) and the new one (5 s), both subscribed at once, records
  produced at random moments of the wait, alone or two on different partitions 5 ms apart
  (the broker must answer a held fetch as soon as a record arrives, whatever its partition);
- a patient's contact look-up by the notifier: identity's internal endpoint over HTTP every
  time (before) or the notifier's invalidated cache (after: a hit after the first look-up;
  in real use a patient gets about one mail per workflow, so hits come from the few mails
  of one workflow, not from many workflows);
- the audit's append of a consumed batch of 50 records in one transaction (the audit log's
  own schema and code, in the scratch database): the chain head read and locked for every
  record (before) or once per transaction (after).

    python -m bench.servicepaths [--rounds 5] [--calls 100] [--only NAME,...] [--out DIR]"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
import uuid
from pathlib import Path

import aiosmtplib
import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import cli, procstat
from bench.throughput import service_roots
from devstack.config import test_config
from devstack.form_samples import SAMPLES
from devstack.services import service_url
from devstack.supervisor import Stack
from services.audit import roles as audit_roles
from services.audit import store
from services.audit import tables as audit_tables
from services.audit.migrations import MIGRATIONS as AUDIT_MIGRATIONS
from services.audit.signing import Signer
from services.messaging.patient.forms_client import FormsClient
from services.notifier.contact_cache import PatientContactCache
from services.notifier.contacts import IdentityContacts
from services.notifier.mail import SmtpMailer, build_message, render, template_env
from services.notifier.settings import NotifierSettings
from shared.events import Actor, Source, new_event
from shared.events.contracts import MessageOpened
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.outbox import Outbox

SERVERS = {"mail": ("mailsink",), "validation": ("forms", "pg-platform"),
           "audit": ("pg-platform",), "contact": ("identity", "pg-platform")}
AUDIT_BATCH = 50


async def timed(stack: Stack, servers: tuple[str, ...], calls: int, one) -> dict:
    roots = {n: p for n, p in service_roots(stack).items() if n in servers}
    cpu0, self0, t0 = procstat.cpu_ms(roots), procstat.self_cpu_ms(), time.monotonic()
    for i in range(calls):
        await one(i)
    wall = time.monotonic() - t0
    cpu = procstat.delta(procstat.cpu_ms(roots), cpu0)
    cpu["caller"] = procstat.self_cpu_ms() - self0
    return {"cpu_ms": sum(cpu.values()) / calls, "wall_ms": wall * 1000 / calls,
            **{f"{k}_ms": v / calls for k, v in cpu.items()}}


def median(samples: list[dict]) -> dict:
    return {k: round(sorted(s[k] for s in samples)[len(samples) // 2], 3) for k in samples[0]}


async def paired(stack: Stack, name: str, before, after, rounds: int, calls: int) -> dict:
    b, a = [], []
    for _ in range(rounds):
        b.append(await timed(stack, SERVERS[name], calls, before))
        a.append(await timed(stack, SERVERS[name], calls, after))
    b_m, a_m = median(b), median(a)
    return {"before": b_m, "after": a_m, "ratio_cpu": round(a_m["cpu_ms"] / b_m["cpu_ms"], 3)}


async def mail_pair(stack: Stack, rounds: int, calls: int) -> dict:
    cfg = stack.cfg
    settings = NotifierSettings(environment="test", smtp_host="127.0.0.1",
                                smtp_port=cfg.smtp_port)
    mail = render(template_env(), "patient", login_url="http://127.0.0.1/", reason="answer")

    def message(i: int):
        return build_message(mail, notification_id=uuid.uuid4(), sender=settings.mail_from,
                             to=f"bench{i}@example.org")

    async def one_session(i: int) -> None:  # the notifier's sending before this round
        await aiosmtplib.send(message(i), hostname="127.0.0.1", port=cfg.smtp_port,
                              start_tls=None, timeout=10)

    kept = SmtpMailer(settings)

    async def kept_open(i: int) -> None:
        await kept.send(message(i))

    try:
        return await paired(stack, "mail", one_session, kept_open, rounds, calls)
    finally:
        await kept.aclose()


async def published_form(stack: Stack) -> tuple[str, int, str]:
    dsn = stack.cfg.database_url("platform", "forms").replace("+psycopg", "")
    for _ in range(600):  # the units' forms are published shortly after start
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            row = await (await conn.execute(
                "SELECT form_id, version, service_type FROM form_versions LIMIT 1")).fetchone()
        if row is not None:
            return row[0], row[1], row[2]
        await asyncio.sleep(0.1)
    raise RuntimeError("no form was published")


async def validation_pair(stack: Stack, rounds: int, calls: int) -> dict:
    form_id, version, service_type = await published_form(stack)
    answers = SAMPLES[service_type]
    base, key = service_url(stack.cfg, "forms"), stack.cfg.internal_credential("patient-mailbox")
    http = httpx.AsyncClient(base_url=base, timeout=10.0, headers={"X-Internal-Api-Key": key})
    local = FormsClient(base, key)

    async def over_http(_: int) -> None:  # the patient mailbox's call before this round
        response = await http.post(f"/internal/v1/forms/{form_id}/versions/{version}/validate",
                                   json=answers, headers={"Accept-Language": "sv"})
        assert response.json()["valid"], response.text

    async def cached(_: int) -> None:
        assert (await local.validate(form_id, version, answers, "sv")).valid

    try:
        return await paired(stack, "validation", over_http, cached, rounds, calls)
    finally:
        await http.aclose()
        await local.aclose()


async def contact_pair(stack: Stack, rounds: int, calls: int) -> dict:
    dsn = stack.cfg.database_url("platform", "identity").replace("+psycopg", "")
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        row = await (await conn.execute("SELECT patient_id FROM patients LIMIT 1")).fetchone()
    assert row is not None, "identity has no patients"
    patient_id = str(row[0])
    cache = PatientContactCache()
    cache.live = True  # as while the notifier's listener is connected
    async with httpx.AsyncClient(timeout=10.0) as http:
        def contacts(with_cache: PatientContactCache | None) -> IdentityContacts:
            return IdentityContacts(http, base_url=service_url(stack.cfg, "identity"),
                                    api_key=stack.cfg.internal_credential("notifier"),
                                    cache=with_cache)
        uncached, cached = contacts(None), contacts(cache)

        async def every_time(_: int) -> None:
            await uncached.patient(patient_id)

        async def from_cache(_: int) -> None:
            await cached.patient(patient_id)
        return await paired(stack, "contact", every_time, from_cache, rounds, calls)


async def audit_log(stack: Stack) -> AsyncEngine:
    """An empty audit log in its own schema of the scratch database, migrated."""
    url, schema = stack.cfg.database_url("platform", "scratch"), "bench_audit"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    engine = create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    await AUDIT_MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        await conn.run_sync(audit_roles.ensure_partitions, 2)
    return engine


async def audit_pair(stack: Stack, rounds: int, calls: int) -> dict:
    engine = await audit_log(stack)
    chain = store.Chain(signer=Signer.from_setting(base64.b64encode(b"b" * 32).decode(),
                                                   "bench"),
                        outbox=Outbox(audit_tables.outbox, channel="audit_outbox"),
                        source=Source(service="audit", region="bench"), checkpoint_every=1000)
    cases = [new_event(MessageOpened(conversation_id="c", message_id="m", care_unit_id="u",
                                     staff_id="s", staff_role="clinician"),
                       source=Source(service="careunit-mailbox", region="bench"), subject="c",
                       actor=Actor(id="s", role="staff")) for _ in range(2)]
    every_time = store.head_for_append

    async def locked_head(conn):  # before: the head read for every record
        return await store._locked_head(conn)

    def batch(head_read):
        async def one(_: int) -> None:
            store.head_for_append = head_read
            try:
                async with engine.begin() as conn:
                    for _ in range(AUDIT_BATCH):
                        event = cases[0].model_copy(update={"event_id": uuid.uuid4()})
                        await store.append(conn, event, chain)
            finally:
                store.head_for_append = every_time
        return one

    try:
        result = await paired(stack, "audit", batch(locked_head), batch(every_time), rounds,
                              max(1, calls // 10))
    finally:
        await engine.dispose()
    for side in ("before", "after"):  # per record
        result[side] = {k: round(v / AUDIT_BATCH, 4) for k, v in result[side].items()}
    return result


async def kafka_latency(stack: Stack, rounds: int, calls: int) -> dict:
    """Not CPU: the milliseconds from produce to delivery, per fetch wait."""
    cfg, topic, waits = stack.cfg, f"bench-latency-{uuid.uuid4().hex[:8]}", (500, 5000)
    auth = cfg.kafka_auth()
    await ensure_topics(cfg.kafka_bootstrap, [topic], auth=auth)
    consumers = {w: make_consumer(cfg.kafka_bootstrap, f"{topic}-{w}", [topic], auth,
                                  fetch_max_wait_ms=w, auto_offset_reset="latest")
                 for w in waits}
    producer = make_producer(cfg.kafka_bootstrap, "bench-latency", auth)
    await producer.start()
    for c in consumers.values():
        await c.start()
    latencies: dict[int, list[float]] = {w: [] for w in waits}
    sent: dict[bytes, float] = {}

    async def receive(wait: int, consumer) -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=10_000)).values():
                now = time.monotonic()
                latencies[wait] += [(now - sent[r.value]) * 1000 for r in records
                                    if r.value in sent]

    try:
        while not all(c.assignment() for c in consumers.values()):
            await asyncio.sleep(0.1)
        tasks = [asyncio.create_task(receive(w, c)) for w, c in consumers.items()]
        await asyncio.sleep(6)  # both consumers now hold an idle fetch at the broker
        for i in range(rounds * 4):
            await asyncio.sleep(random.uniform(0.3, 6.0))  # any moment of either wait
            for partition in ([i % 3] if i % 2 else [i % 3, (i + 1) % 3]):
                value = uuid.uuid4().bytes
                sent[value] = time.monotonic()
                await producer.send_and_wait(topic, value, partition=partition)
                await asyncio.sleep(0.005)
        await asyncio.sleep(1)
        for t in tasks:
            t.cancel()
    finally:
        await producer.stop()
        for c in consumers.values():
            await c.stop()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)
    return {f"fetch_max_wait_ms_{w}": {"records": len(v), "p50_ms": pct(v, 0.5),
                                       "p99_ms": pct(v, 0.99), "max_ms": pct(v, 1.0)}
            for w, v in latencies.items()}


PAIRS = {"mail": mail_pair, "form_validation": validation_pair,
         "patient_contact_lookup": contact_pair,
         "audit_append_per_record_in_a_batch": audit_pair,
         "kafka_delivery_to_an_idle_consumer": kafka_latency}


async def measure(stack: Stack, rounds: int, calls: int, only: list[str]) -> dict:
    return {name: await pair(stack, rounds, calls) for name, pair in PAIRS.items()
            if not only or name in only}


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--only", default="", help=f"comma-separated, of {sorted(PAIRS)}")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data_dir = cli.stack_dir("servicepaths")
    with Stack(test_config(data_dir, base_port=31000)) as stack:
        stack.start_infrastructure()
        stack.start_services()
        result = asyncio.run(measure(stack, args.rounds, args.calls,
                                     [n for n in args.only.split(",") if n]))
    print(json.dumps(result, indent=1))
    if args.out:  # merged into what earlier runs measured
        path = args.out / "servicepaths.json"
        earlier = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(earlier | result, indent=1) + "\n")


if __name__ == "__main__":
    main()

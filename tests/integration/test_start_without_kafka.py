"""A service starts while Kafka is down, serves its API (writes go to the outbox), and
publishes and consumes once the broker is back. Also: topics are made as the settings say."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidReplicationFactorError
from fastapi import FastAPI
from sqlalchemy import select

from shared.events import Source, new_event, topics
from shared.events.contracts import PatientRegistered
from shared.kafka import TopicPolicy, ensure_event_topics, ensure_topics
from shared.runtime import EventRuntime
from shared.settings import ServiceSettings
from shared.web import create_app
from tests.integration.conftest import effects, inbox_table
from tests.integration.test_inbox import apply_effect
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
SOURCE = Source(service="it", region="test")


class FixtureSchema:
    """The scratch tables are made by the fixtures; the runtime has nothing to migrate."""

    async def upgrade(self, engine, revision: str = "head") -> None:
        return None


def service_app(runtime: EventRuntime, topic: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.readiness.extend(runtime.readiness)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = create_app(title="it", lifespan=lifespan)

    @app.post("/submit/{patient}", status_code=201)
    async def submit(patient: str) -> dict:
        e = new_event(PatientRegistered(patient_id=patient), source=SOURCE, subject=patient)
        async with runtime.engine.begin() as conn:
            assert runtime.outbox is not None
            await runtime.outbox.enqueue(conn, topic, patient, e)
        return {"event_id": str(e.event_id)}
    return app


async def test_a_service_starts_and_takes_writes_while_kafka_is_down(infra, scratch_engine,
                                                                     outbox, topic,
                                                                     monkeypatch):
    # The test's own topic carries PatientRegistered (consumers are checked against this).
    from shared.events.contracts import PatientRegistered
    from shared.events.topic_contracts import CONTRACTS_ON

    monkeypatch.setitem(CONTRACTS_ON, topic, (PatientRegistered,))
    # Its own engine: the runtime disposes of it when it stops.
    from shared.db import make_engine

    engine = make_engine(infra.cfg.database_url("platform", "scratch"))
    admin = infra.cfg.kafka_auth()  # the stack's admin login (a service has its own)
    runtime = EventRuntime("it-nokafka", engine, infra.cfg.kafka_bootstrap, FixtureSchema(),
                           outbox=outbox,
                           inbox=inbox_table, settings=ServiceSettings(
                               environment="test", kafka_username=admin.username,
                               kafka_password=admin.password))
    runtime.consume(f"consumer-{topic}", [topic],
                    {"identity.patient_registered.v1": apply_effect})
    app = service_app(runtime, topic)
    await asyncio.to_thread(infra.stop_service, "kafka")
    try:
        started = time.monotonic()
        async with app.router.lifespan_context(app):
            assert time.monotonic() - started < 10  # no waiting for the broker
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://it") as http:
                r = await http.post("/submit/nk-1")
                assert r.status_code == 201, r.text
                event_id = r.json()["event_id"]
                await asyncio.sleep(2)  # a failed connection attempt: ready to serve anyway
                assert (await http.get("/readyz")).status_code == 200
                assert (await http.get("/healthz")).status_code == 200
                await asyncio.to_thread(infra.start_service, "kafka")
                # The relay adds the runtime's region to the outbox row's (logical) topic.
                assert runtime.settings is not None
                records = await read_all(infra.cfg,
                                         topics.on_broker(runtime.settings.region, topic),
                                         expect=1, timeout=60)
                assert [event_id.encode() in r.value for r in records] == [True]
                deadline = time.monotonic() + 60
                while not await _applied(scratch_engine, event_id):
                    assert time.monotonic() < deadline, "the consumer never applied it"
                    await asyncio.sleep(0.3)
                assert (await http.get("/readyz")).status_code == 200
    finally:
        if not infra.running("kafka"):
            await asyncio.to_thread(infra.start_service, "kafka")


async def _applied(engine, event_id: str) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(effects.c.applied).where(
            effects.c.event_id == event_id))).first() is not None


async def test_topics_are_created_with_the_configured_replication_and_retention(infra, topic):
    settings = ServiceSettings(environment="test", kafka_topic_retention_ms=3_600_000)
    await ensure_topics(infra.cfg.kafka_bootstrap, [topic],
                        policy=TopicPolicy.from_settings(settings), auth=infra.cfg.kafka_auth())
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.cfg.kafka_bootstrap,
                                **infra.cfg.kafka_auth().client_options())
    await admin.start()
    try:
        for _ in range(300):  # a topic just created takes a moment to be described
            [described] = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic)])
            configs = {c[0]: c[1] for c in described.resources[0][4]
                       if c[0] in ("retention.ms", "min.insync.replicas")}
            if configs:
                break
            await asyncio.sleep(0.2)
        [meta] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert configs == {"retention.ms": "3600000", "min.insync.replicas": "1"}
    assert {len(p["replicas"]) for p in meta["partitions"]} == {1}
    # The replication factor is the setting's, not a constant: 3 cannot be met by this
    # one-broker cluster, and that is an error rather than a silently different topic.
    with pytest.raises(InvalidReplicationFactorError):
        await ensure_topics(infra.cfg.kafka_bootstrap, [f"{topic}-rf3"], policy=TopicPolicy(
            replication_factor=3, min_insync_replicas=2), auth=infra.cfg.kafka_auth())


async def test_state_sent_once_is_kept_for_ever_and_other_events_for_the_retention(infra):
    """identity.events (units, staff, patients registered) and forms.events (forms
    published) can be replayed from the start to rebuild any projection."""
    region = "it-retention"
    await ensure_event_topics(infra.cfg.kafka_bootstrap, list(topics.ALL), TopicPolicy(), region,
                              infra.cfg.kafka_auth())
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.cfg.kafka_bootstrap,
                                **infra.cfg.kafka_auth().client_options())
    await admin.start()
    try:
        for _ in range(300):  # a topic just created takes a moment to be described
            described = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topics.on_broker(region, t))
                 for t in topics.ALL])
            retention = {r[3].removeprefix(f"{region}."): {c[0]: c[1] for c in r[4]}
                         .get("retention.ms")
                         for d in described for r in d.resources}
            if None not in retention.values():
                break
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    assert retention[topics.IDENTITY] == retention[topics.FORMS] == "-1"
    assert retention[topics.PATIENT_MAILBOX] == str(7 * 24 * 3600 * 1000)

"""The moving parts of an event-driven service, started and stopped together in a FastAPI
lifespan: database engine (migrated), Kafka producer, outbox relay, inbox consumers.

Kafka is not needed to start: the HTTP API serves and writes go to the outbox while a
background step creates the topics and starts the producer, retrying until the broker
answers; then the relay publishes what waited and the consumers start. Every relay and
consumer is supervised (shared.supervise): restarted with backoff when it dies, and a task
that keeps crashing fails liveness (/healthz) so the orchestrator restarts the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import db
from shared.events import EventData, topics, wiring
from shared.inbox import BatchHandler, EventConsumer, Handler
from shared.kafka import KafkaAuth, TopicPolicy, ensure_event_topics, make_producer
from shared.migrations import Migrations
from shared.outbox import Outbox
from shared.outbox_relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.supervise import Supervised

log = logging.getLogger(__name__)


@dataclass
class EventRuntime:
    service: str
    engine: AsyncEngine
    bootstrap: str
    migrations: Migrations
    outbox: Outbox | None = None
    inbox: Table | None = None
    # Topic policy, retentions and the crash-loop threshold; defaults when not given.
    settings: ServiceSettings | None = None
    auth: KafkaAuth = field(init=False)
    producer: AIOKafkaProducer = field(init=False)
    consumers: list[EventConsumer] = field(default_factory=list)
    supervised: list[Supervised] = field(default_factory=list)
    kafka_connected: bool = False
    kafka_failures: int = 0
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.settings is None:
            self.settings = ServiceSettings(environment="test")  # only its defaults are read
        self.auth = KafkaAuth.from_settings(self.settings)
        self.producer = make_producer(self.bootstrap, self.service, self.auth)

    def consume(self, name: str, topic_names: list[str], handlers: wiring.Handlers[Handler],
                ignore: Iterable[type[EventData]] = (),
                batch_handler: BatchHandler | None = None, batching: bool = True) -> None:
        """Raises WiringError (the service does not start) when handlers and contracts differ.
        `batch_handler`: see shared.inbox_batch. `batching`: the settings' consume_gather_s
        and consume_fetch_min_bytes apply (False: every event at once, e.g. an access
        revocation)."""
        assert self.inbox is not None, "a consuming service needs an inbox table"
        binding = wiring.bind(name, topic_names, handlers, ignore)
        assert self.settings is not None
        self.consumers.append(EventConsumer(
            name=name, topics=topic_names, bootstrap=self.bootstrap, engine=self.engine,
            inbox=self.inbox, handlers=binding.handlers, ignored=binding.ignored,
            producer=self.producer, owned=binding.owned,
            retention=timedelta(days=self.settings.inbox_retention_days),
            region=self.settings.region, auth=self.auth, batch_handler=batch_handler,
            gather_s=self.settings.consume_gather_s if batching else 0.0,
            fetch_min_bytes=self.settings.consume_fetch_min_bytes if batching else 1))

    async def start(self) -> None:
        """Migrates the database (needed to serve anything), then returns; Kafka comes up in
        the background."""
        await self.migrations.upgrade(self.engine)
        task = asyncio.create_task(self._connect_kafka(), name="kafka-connect")
        self._tasks.append(task)

    async def _connect_kafka(self, first_backoff_s: float = 0.5) -> None:
        assert self.settings is not None
        region = self.settings.region
        wanted = list(topics.ALL) + [topics.dead_letter(c.name) for c in self.consumers]
        backoff = first_backoff_s
        while True:
            try:
                await ensure_event_topics(self.bootstrap, wanted,
                                          TopicPolicy.from_settings(self.settings), region,
                                          self.auth)
                await asyncio.wait_for(self.producer.start(), 30)
                break
            except Exception as exc:  # noqa: BLE001 - broker away: serve on, try again
                self.kafka_failures += 1
                log.warning("kafka not reachable yet", extra={
                    "service": self.service, "error": type(exc).__name__,
                    "attempt": self.kafka_failures})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        self.kafka_connected = True
        if self.outbox is not None:
            relay = OutboxRelay(self.engine, self.outbox, self.producer, name=self.service,
                                retention=timedelta(days=self.settings.outbox_retention_days),
                                region=region, linger_s=self.settings.outbox_linger_s)
            self._spawn("outbox-relay", relay.run)
        for consumer in self.consumers:
            self._spawn(f"consumer-{consumer.name}", consumer.run)

    def _spawn(self, name: str, factory) -> None:
        assert self.settings is not None
        supervised = Supervised(name, factory, service=self.service,
                                unhealthy_after_s=self.settings.task_unhealthy_after_s)
        self.supervised.append(supervised)
        self._tasks.append(asyncio.create_task(supervised.run(), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:  # also when stopped half-way through starting, while the broker was away
            await self.producer.stop()
        except Exception as exc:  # noqa: BLE001 - shutting down: nothing left to save
            log.warning("producer stop failed", extra={"error": type(exc).__name__})
        await self.engine.dispose()

    async def tasks_alive(self) -> bool:
        """No supervised task has been crash-looping past its threshold (liveness)."""
        return all(s.healthy() for s in self.supervised)

    async def database_ready(self) -> bool:
        return await db.ping(self.engine)

    async def consumers_running(self) -> bool:
        """Consumers hold their subscriptions; while the broker is unreachable the service
        still counts as ready, so its API serves what it can (outbox writes, reads)."""
        if not self.kafka_connected and self.kafka_failures > 0:
            return True
        return self.kafka_connected and all(c.running for c in self.consumers)

    @property
    def readiness(self):
        return [self.database_ready, self.tasks_alive, self.consumers_running]


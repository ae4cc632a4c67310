"""The moving parts of an event-driven service, started and stopped together in a FastAPI
lifespan: database engine (migrated), Kafka producer, outbox relay, inbox consumers.

A background task that dies makes /readyz fail and is logged, so an orchestrator restarts
the process instead of it idling silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import db
from shared.events import EventData, topics, wiring
from shared.inbox import EventConsumer, Handler
from shared.kafka import ensure_topics, make_producer
from shared.outbox import Outbox, OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class EventRuntime:
    service: str
    engine: AsyncEngine
    bootstrap: str
    migrations: db.Migrations
    outbox: Outbox | None = None
    inbox: Table | None = None
    producer: AIOKafkaProducer = field(init=False)
    consumers: list[EventConsumer] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.producer = make_producer(self.bootstrap, self.service)

    def consume(self, name: str, topic_names: list[str], handlers: wiring.Handlers[Handler],
                ignore: Iterable[type[EventData]] = ()) -> None:
        """Raises WiringError (the service does not start) when handlers and contracts differ."""
        assert self.inbox is not None, "a consuming service needs an inbox table"
        binding = wiring.bind(name, topic_names, handlers, ignore)
        self.consumers.append(EventConsumer(
            name=name, topics=topic_names, bootstrap=self.bootstrap, engine=self.engine,
            inbox=self.inbox, handlers=binding.handlers, ignored=binding.ignored,
            producer=self.producer))

    async def start(self) -> None:
        await db.migrate(self.engine, self.migrations)
        wanted = list(topics.ALL) + [topics.dead_letter(c.name) for c in self.consumers]
        await ensure_topics(self.bootstrap, wanted)
        await self.producer.start()
        if self.outbox is not None:
            relay = OutboxRelay(self.engine, self.outbox, self.producer, name=self.service)
            self._spawn(relay.run(), "outbox-relay")
        for consumer in self.consumers:
            self._spawn(consumer.run(), f"consumer-{consumer.name}")

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._report_death)
        self._tasks.append(task)

    def _report_death(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task died", extra={"service": self.service,
                                                      "reason": task.get_name()},
                      exc_info=task.exception())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.producer.stop()
        await self.engine.dispose()

    async def tasks_alive(self) -> bool:
        return all(not t.done() for t in self._tasks)

    async def database_ready(self) -> bool:
        return await db.ping(self.engine)

    async def consumers_running(self) -> bool:
        return all(c.running for c in self.consumers)

    @property
    def readiness(self):
        return [self.database_ready, self.tasks_alive, self.consumers_running]

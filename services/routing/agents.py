"""The faust agents: keep the unit directory, route submissions, publish the outcome.

Records are consumed as raw bytes and parsed with the shared envelope and contracts, so no
faust.Record ever becomes a cross-service contract."""

from __future__ import annotations

import asyncio
import logging

import faust
from faust.types import EventT

from services.routing.handlers import InRecord, OutRecord, Router
from shared.events import topics

log = logging.getLogger(__name__)


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", allow_empty=True)


def _in_record(event: EventT) -> InRecord:
    m = event.message
    return InRecord(m.topic, m.partition, m.offset, m.key, m.value)


class Publisher:
    """Sends outgoing records and waits for the broker's ack before the agent moves on, so
    the input offset is never committed ahead of its output."""

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self._topics: dict[str, faust.TopicT] = {}

    def topic(self, name: str) -> faust.TopicT:
        if name not in self._topics:
            self._topics[name] = _raw_topic(self._app, name)
        return self._topics[name]

    async def publish(self, record: OutRecord) -> None:
        backoff = 0.1
        while True:
            try:
                sent = await self.topic(record.topic).send(
                    key=record.key, value=record.value, headers=list(record.headers))
                await sent
                return
            except Exception as exc:  # noqa: BLE001 - broker away: hold, never skip
                log.warning("publish failed, retrying", extra={
                    "topic": record.topic, "error": type(exc).__name__})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)


def register_agents(app: faust.App, router: Router, publisher: Publisher, region: str) -> None:
    """The care-unit mailbox's topic is not among them: services.routing.handback reads it."""
    identity_events = _raw_topic(app, topics.on_broker(region, topics.IDENTITY))
    forms_events = _raw_topic(app, topics.on_broker(region, topics.FORMS))
    submissions = _raw_topic(app, topics.on_broker(region, topics.PATIENT_MAILBOX))
    directory = _raw_topic(app, topics.INTERREGION_UNITS)
    inbound = _raw_topic(app, topics.interregion_inbound(region))

    @app.agent(identity_events, name="unit-directory")
    async def keep_directory(stream: faust.StreamT) -> None:
        async for event in stream.events():
            for record in await router.on_identity(_in_record(event)):
                await publisher.publish(record)

    @app.agent(forms_events, name="unit-services")
    async def keep_offers(stream: faust.StreamT) -> None:
        async for event in stream.events():
            for record in await router.on_forms(_in_record(event)):
                await publisher.publish(record)

    @app.agent(submissions, name="route-submissions")
    async def route_submissions(stream: faust.StreamT) -> None:
        async for event in stream.events():
            for record in await router.on_submission(_in_record(event)):
                await publisher.publish(record)

    @app.agent(directory, name="interregion-directory")
    async def other_regions_units(stream: faust.StreamT) -> None:
        async for event in stream.events():
            for record in await router.on_directory(_in_record(event)):
                await publisher.publish(record)

    @app.agent(inbound, name="interregion-inbound")
    async def handed_over(stream: faust.StreamT) -> None:
        async for event in stream.events():
            for record in await router.on_inbound(_in_record(event)):
                await publisher.publish(record)

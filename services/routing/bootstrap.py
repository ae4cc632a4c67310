"""Composition root of the routing worker: the faust app, its directory table, agents and
views. Building the app connects to nothing; the worker connects when it starts."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import faust
from aiokafka import AIOKafkaConsumer

from services.routing.agents import Publisher, register_agents
from services.routing.handback import HandBack
from services.routing.handlers import CONSUMER, HANDBACK_CONSUMER, Router
from services.routing.settings import RoutingSettings
from services.routing.web import register_views
from shared.events import Source
from shared.events.topics import CAREUNIT_MAILBOX, group_id, on_broker
from shared.kafka import KafkaAuth, make_consumer
from shared.supervise import Supervised

DIRECTORY_TABLE = "unit_directory"
CONVERSATIONS_TABLE = "handed_over_conversations"  # conversation id -> the other side's region


def app_id(region: str) -> str:
    """faust's app id: the consumer group, and the prefix of its tables' changelog topics,
    so each region's routing has its own group and its own directory."""
    return group_id(region, CONSUMER)


def changelog(region: str, table: str) -> str:
    return f"{app_id(region)}-{table}-changelog"  # faust's naming


def directory_changelog(region: str) -> str:
    return changelog(region, DIRECTORY_TABLE)


def broker_credentials(auth: KafkaAuth) -> faust.SASLCredentials | None:
    """The routing principal's SASL/SCRAM login (shared.kafka_access grants its ACLs)."""
    if not auth.security_protocol.startswith("SASL"):
        return None
    options = auth.client_options()
    return faust.SASLCredentials(username=auth.username, password=auth.password,
                                 mechanism=auth.sasl_mechanism,
                                 ssl_context=options.get("ssl_context"))


def hand_back_consumer(settings: RoutingSettings, auth: KafkaAuth) -> AIOKafkaConsumer:
    """The care-unit topic's reader, outside faust (services.routing.handback): a group of
    its own, and fetches the broker holds until `consume_fetch_min_bytes` or a second have
    gathered."""
    return make_consumer(
        settings.kafka_bootstrap_servers, group_id(settings.region, HANDBACK_CONSUMER),
        [on_broker(settings.region, CAREUNIT_MAILBOX)], auth,
        fetch_min_bytes=settings.consume_fetch_min_bytes)


def create_app(settings: RoutingSettings) -> faust.App:
    auth = KafkaAuth.from_settings(settings)
    app = faust.App(
        app_id(settings.region),  # also the consumer group id
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        broker_credentials=broker_credentials(auth),
        store="memory://",  # rebuilt from the changelog at start; the directory is small
        datadir=str(settings.data_dir),
        web_port=settings.http_port, web_bind=settings.http_host, web_host=settings.http_host,
        topic_partitions=3,  # matches the topics shared.kafka.ensure_topics creates
        producer_acks=-1,  # all in-sync replicas
        consumer_auto_offset_reset="earliest",  # a new group must see every registration
        broker_session_timeout=settings.kafka_session_timeout_s,  # see RoutingSettings
        producer_request_timeout=settings.kafka_request_timeout_s,  # see RoutingSettings
    )
    # Global: every worker holds every unit whichever submission partitions it owns. One
    # changelog partition and a small recovery buffer avoid faust's known recovery loop with
    # global tables; use_partitioner because the source topic has three partitions.
    directory = app.GlobalTable(
        DIRECTORY_TABLE,
        schema=faust.Schema(key_type=str, key_serializer="json", value_serializer="json"),
        partitions=1, recovery_buffer_size=1, use_partitioner=True)
    conversations = app.GlobalTable(  # same reasons as the directory's settings
        CONVERSATIONS_TABLE,
        schema=faust.Schema(key_type=str, key_serializer="json", value_serializer="json"),
        partitions=1, recovery_buffer_size=1, use_partitioner=True)
    router = Router(directory=directory, conversations=conversations,
                    source=Source(service=CONSUMER, region=settings.region),
                    empty_directory_wait_s=settings.empty_directory_wait_s,
                    unknown_unit_wait_s=settings.unknown_unit_wait_s)
    publisher = Publisher(app)
    dead_letters = [publisher.topic(router.dead_letter_topic_of(consumer))
                    for consumer in (CONSUMER, HANDBACK_CONSUMER)]
    hand_back = HandBack(lambda: hand_back_consumer(settings, auth), router.on_careunit,
                         publisher.publish,
                         # recovery exists on faust's TableManager but not on its type stub
                         lambda: cast(Any, app.tables).recovery.completed.wait())

    @app.task
    async def declare_dead_letter_topics() -> None:
        for topic in dead_letters:
            await topic.maybe_declare()

    @app.task
    async def hand_back_careunit_events() -> None:
        # Restarted when it fails, counted, and the worker's /healthz fails while it keeps
        # failing (shared.supervise, as the other services' consumers).
        await Supervised("hand-back", hand_back.consume, service=CONSUMER).run()

    @app.task
    async def track_changelog_metadata() -> None:
        # aiokafka's producer keeps metadata of every topic until it first sends to one it
        # did not know at start (another region's inbound topic, made later), and from then
        # on only of topics it sent to since. faust picks a table write's changelog partition
        # from that metadata without fetching it (a TypeError when missing), so the tables'
        # changelogs are tracked from the start.
        producer = cast(Any, app.producer)
        while getattr(producer, "_producer", None) is None:  # not started yet
            await asyncio.sleep(0.2)
        for table in (DIRECTORY_TABLE, CONVERSATIONS_TABLE):
            await producer._producer.client.add_topic(changelog(settings.region, table))

    register_agents(app, router, publisher, settings.region)
    register_views(app, directory)
    return app

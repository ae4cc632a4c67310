"""aiokafka producer/consumer construction and topic provisioning, in one place.

Producer: acks=all + idempotence (no duplicates from producer retries). Short metadata age
and retry backoff keep recovery quick after a broker restart."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.events.envelope import Envelope

log = logging.getLogger(__name__)

_RECOVERY = {"metadata_max_age_ms": 5000, "retry_backoff_ms": 100}


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, acks="all",
        enable_idempotence=True, linger_ms=2, request_timeout_ms=15000, **_RECOVERY)


def make_consumer(bootstrap: str, group_id: str, topics: list[str]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group_id, client_id=group_id,
        enable_auto_commit=False,  # offsets are committed only after the database commit
        auto_offset_reset="earliest", **_RECOVERY)


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3,
                        configs: dict[str, str] | None = None) -> None:
    """Create topics up front so consumers subscribe to something that exists."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_RECOVERY)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1,
                              topic_configs=configs or {}) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another service created it at the same moment
    finally:
        await admin.close()

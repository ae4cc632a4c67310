"""Forged and malformed events on every topic: a record that is not JSON, an envelope of an
event type nobody owns, and a known type with a payload that does not fit its contract.
Every consumer that reads the topic sets them aside on its dead-letter topic (dlq.<consumer>)
and no state changes: the marker they carry reaches no table and no other topic.

Forged key announcements (valid shape, missing or wrong signature, stale version) are
covered by tests/e2e/test_forged_events.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from shared.events import topics
from shared.ids import uuid7
from tests.e2e import inspect, kafka_clients
from tests.e2e.support import eventually

pytestmark = pytest.mark.e2e

# Topics that some consumer of the stack reads (so a dead letter must appear).
CONSUMED = (topics.IDENTITY, topics.FORMS, topics.PATIENT_MAILBOX, topics.CAREUNIT_MAILBOX,
            topics.ROUTING)


def envelope(marker: str, event_type: str, data: dict) -> bytes:
    return json.dumps({
        "event_id": str(uuid7()), "type": event_type, "version": 1,
        "source": {"service": "intruder", "region": "stockholm"},
        "occurred_at": datetime.now(UTC).isoformat(), "subject": marker,
        "correlation_id": str(uuid.uuid4()), "actor": {"id": marker, "role": "system"},
        "data": data}).encode()


async def test_forged_and_malformed_events_are_dead_lettered_and_change_nothing(stack) -> None:
    # The region's broker names (docs/regions.md): `<region>.<topic>`, `<region>.dlq.<consumer>`.
    region = stack.cfg.region
    dlq = f"{region}.dlq."
    markers = {f"{region}.{topic}": f"FORGED-{uuid.uuid4().hex}" for topic in topics.ALL}
    # As the super user: what a compromised owner of each topic could write (the broker
    # refuses everyone else: tests/integration/test_kafka_acls.py).
    producer = AIOKafkaProducer(acks="all", **kafka_clients.admin(stack))
    await producer.start()
    try:
        for topic, marker in markers.items():
            key = marker.encode()
            await producer.send_and_wait(topic, b"{not json " + key, key=key)
            await producer.send_and_wait(topic, envelope(marker, "forged.takeover", {}), key=key)
            await producer.send_and_wait(topic, envelope(
                marker, "messaging.message_submitted", {"message_id": marker}), key=key)
    finally:
        await producer.stop()

    async def dead_lettered():
        found = {t: await inspect.kafka_records_containing(stack, m.encode())
                 for t, m in markers.items()}
        done = all(any(h.startswith(dlq) for h in found[f"{region}.{t}"]) for t in CONSUMED)
        return found if done else None
    found = await eventually(dead_lettered, timeout=60, what="dead letters of every consumer")
    for topic, hits in found.items():
        elsewhere = [h for h in hits if not h.startswith((f"{topic}[", dlq))]
        assert elsewhere == [], f"a forged event on {topic} was re-emitted: {elsewhere}"
        assert await inspect.clear_text_columns_containing(stack, markers[topic]) == [], topic

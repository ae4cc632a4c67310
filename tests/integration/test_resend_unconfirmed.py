"""A patient's first message that was published but never confirmed by the care unit goes out
again, with the same event id, on real PostgreSQL and Kafka.

This is the loss the fault suite found (docs/faults-results.md): the submission was in the
patient mailbox's topic, but routing, restarted after a SIGKILL, committed its offset past it
without routing it, so the care unit never had it and nothing ever sent it again."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.messaging.patient import resend
from services.messaging.patient.tables import conversations, messages, metadata, outbox_table
from shared.kafka import make_producer
from shared.outbox import Outbox
from shared.outbox_relay import OutboxRelay
from tests.integration.test_outbox import read_all

pytestmark = pytest.mark.integration
AFTER, WITHIN = timedelta(seconds=90), timedelta(days=1)


async def conversation(conn, topic: str, now: datetime, *, status: str, age: timedelta,
                       messages_n: int = 1,
                       published_ago: timedelta | None = timedelta(minutes=5)) -> str:
    conv, at = str(uuid.uuid4()), now - age
    await conn.execute(conversations.insert().values(
        conversation_id=conv, patient_id="p", care_unit_id="u", service_type="advice",
        status=status, unread_reply=False, created_at=at, updated_at=at))
    for i in range(messages_n):
        await conn.execute(messages.insert().values(
            message_id=f"{conv}-{i}", conversation_id=conv, direction="to_unit",
            author_id="p", sealed_key_id="k", sealed_ciphertext=b"x", created_at=at))
    await conn.execute(outbox_table.insert().values(
        event_id=uuid.uuid4(), topic=topic, key=conv, event_type=resend.SUBMITTED,
        payload=json.dumps({"conversation": conv}).encode(),
        published_at=None if published_ago is None else now - published_ago))
    return conv


async def test_an_unconfirmed_first_message_is_published_again_and_nothing_else(
        infra, fresh_schema, topic) -> None:
    engine = await fresh_schema("resend")
    now = datetime.now(UTC)  # the stack may take minutes to start: ages count from here
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        lost = await conversation(conn, topic, now, status="sent", age=timedelta(minutes=10))
        await conversation(conn, topic, now, status="received", age=timedelta(minutes=10))
        await conversation(conn, topic, now, status="sent", age=timedelta(seconds=20),
                           published_ago=timedelta(seconds=19))  # may still be on its way
        await conversation(conn, topic, now, status="sent", age=timedelta(minutes=10),
                           messages_n=2)  # a follow-up: the unit confirmed the first
        await conversation(conn, topic, now, status="sent", age=timedelta(days=2))  # given up

    assert await resend.resend_unconfirmed(engine, "resend", after=AFTER, within=WITHIN,
                                           now=now) == 1
    # Sent again at most once per `after`: the row is pending, not re-marked.
    assert await resend.resend_unconfirmed(engine, "resend", after=AFTER, within=WITHIN,
                                           now=now) == 0

    producer = make_producer(infra.cfg.kafka_bootstrap, "it-resend", infra.cfg.kafka_auth())
    await producer.start()
    try:
        relay = OutboxRelay(engine, Outbox(outbox_table, "resend"), producer, name="it-resend")
        assert await relay.publish_batch() == 1
    finally:
        await producer.stop()
    records = await read_all(infra.cfg, topic, expect=1)
    assert [r.key.decode() for r in records] == [lost]
    # Published again just now: not due again for another `after`.
    assert await resend.resend_unconfirmed(engine, "resend", after=AFTER, within=WITHIN,
                                           now=datetime.now(UTC)) == 0

"""Reminders for unread answers on a real PostgreSQL (the notifier's schema in a private
schema of the scratch database): an answer schedules one reminder for later; reading the
conversation cancels it; an unread answer's reminder comes due, once, after the delay."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from services.notifier import queries, store
from services.notifier.domain import CANCELLED, PENDING, REMINDER
from services.notifier.handlers import make_handlers
from services.notifier.migrations import MIGRATIONS
from shared.events import Source, decode_data, new_event
from shared.events.contracts import MessageRead, ReplyDelivered

pytestmark = pytest.mark.integration

SOURCE = Source(service="patient-mailbox", region="stockholm")
REMINDER_AFTER_S = 5.0


def delivered(conversation_id: str):
    return new_event(ReplyDelivered(conversation_id=conversation_id, reply_id="r",
                                    patient_id="pat-1", care_unit_id="u"),
                     source=SOURCE, subject=conversation_id)


async def apply(engine, handlers, envelope) -> None:
    async with engine.begin() as conn:
        data = decode_data(envelope)
        await handlers[type(data)](conn, envelope, data)


async def states(engine, conversation_id: str) -> dict[str, str]:
    async with engine.connect() as conn:
        return {r.reason: r.state for r in await queries.for_conversation(conn, conversation_id)}


async def test_a_reminder_is_cancelled_by_reading_and_comes_due_once_when_unread(fresh_schema):
    engine = await fresh_schema("notifier")
    await MIGRATIONS.upgrade(engine)
    # Long enough that the steps below run before the reminders come due, also on a loaded
    # 2-core machine (the first claim must see only the immediate mails).
    handlers = make_handlers(reminder_after_s=REMINDER_AFTER_S)
    read_one, unread = f"c-read-{datetime.now(UTC).timestamp()}", "c-unread"
    for conversation_id in (read_one, unread):
        envelope = delivered(conversation_id)
        await apply(engine, handlers, envelope)
        await apply(engine, handlers, envelope)  # redelivered: still one of each
    scheduled = time.monotonic()  # both reminders are due at most this much later
    assert await states(engine, read_one) == {"messaging.reply_delivered.v1": PENDING,
                                              REMINDER: PENDING}
    async with engine.begin() as conn:  # now: only the immediate mails are due
        due, _ = await store.claim(conn, limit=10, lease_s=60)
    assert sorted(r.reason for r in due) == ["messaging.reply_delivered.v1"] * 2

    await apply(engine, handlers, new_event(MessageRead(
        conversation_id=read_one, patient_id="pat-1", reply_ids=["r"]), source=SOURCE,
        subject=read_one))
    assert (await states(engine, read_one))[REMINDER] == CANCELLED
    await asyncio.sleep(max(0.0, scheduled + REMINDER_AFTER_S + 0.5 - time.monotonic()))
    async with engine.begin() as conn:
        due, _ = await store.claim(conn, limit=10, lease_s=60)
    assert [(r.conversation_id, r.reason, r.recipient_ref) for r in due] == [
        (unread, REMINDER, "pat-1")]


def test_without_a_delay_there_are_no_reminders():
    assert "messaging.message_read.v1" not in make_handlers(reminder_after_s=0)

"""Broken promises: a background task of the care-unit mailbox finds unanswered messages
past their due time and records one MessageOverdue each (the notifier e-mails the unit's
functional address; nothing of the content goes anywhere).

Each message is flagged (overdue_notified_at) in the same transaction as its event, so a
crash or a second replica never announces it twice (rows are claimed with SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from prometheus_client import Gauge
from sqlalchemy import func, select, update

from services.messaging.careunit.tables import unit_messages
from services.messaging.context import MailboxContext
from services.messaging.domain import ASSIGNED, UNASSIGNED
from shared.events import new_event
from shared.events.contracts import MessageOverdue
from shared.events.topics import CAREUNIT_MAILBOX
from shared.ids import derived_uuid7

log = logging.getLogger(__name__)
BATCH = 200
OVERDUE = Gauge("careunit_overdue_messages",
                "Unanswered messages past the unit's promised answer time (all units)")


def _event_id(message_id: str):
    """Deterministic per message: even a re-announcement would be the same event."""
    try:
        base = uuid.UUID(message_id)
    except ValueError:
        base = uuid.uuid5(uuid.NAMESPACE_URL, f"message:{message_id}")
    return derived_uuid7(base, "overdue")


async def announce_overdue(box: MailboxContext, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    m = unit_messages.c
    async with box.engine.begin() as conn:
        rows = (await conn.execute(select(
            m.message_id, m.conversation_id, m.care_unit_id, m.service_type, m.due_at).where(
            m.status.in_([UNASSIGNED, ASSIGNED]), m.due_at < now,
            m.overdue_notified_at.is_(None)).order_by(m.due_at).limit(BATCH)
            .with_for_update(skip_locked=True))).all()
        for row in rows:
            await conn.execute(update(unit_messages).where(m.message_id == row.message_id)
                               .values(overdue_notified_at=now))
            event = new_event(MessageOverdue(
                conversation_id=row.conversation_id, message_id=row.message_id,
                care_unit_id=row.care_unit_id, service_type=row.service_type,
                due_at=row.due_at), source=box.source, subject=row.conversation_id,
                event_id=_event_id(row.message_id))
            await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, row.conversation_id, event)
    return len(rows)


async def count_overdue(box: MailboxContext, now: datetime | None = None) -> int:
    m = unit_messages.c
    async with box.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(unit_messages).where(
            m.status.in_([UNASSIGNED, ASSIGNED]), m.due_at < (now or datetime.now(UTC)))
        )).scalar_one())


async def run(box: MailboxContext, interval_s: float) -> None:
    while True:
        try:
            while await announce_overdue(box) == BATCH:
                pass
            OVERDUE.set(await count_overdue(box))
        except Exception:  # the database may be away for a moment: try again next round
            log.exception("overdue check failed")
        await asyncio.sleep(interval_s)

"""The notifier's store on a real PostgreSQL: a pending mail wakes the senders with the
INSERT itself (at commit, never after a rollback or for a row already there), and one claim
statement both leases the due rows and says when the next pending mail comes due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from services.notifier import store
from services.notifier.domain import PENDING, NewNotification
from services.notifier.migrations import MIGRATIONS
from services.notifier.tables import notifications
from shared.ids import uuid7
from shared.outbox import _libpq_dsn

pytestmark = pytest.mark.integration


def pending(conversation_id: str = "c-1") -> NewNotification:
    return NewNotification(notification_id=uuid7(), recipient_kind="care_unit",
                           recipient_ref="u-1", reason="messaging.message_received.v1",
                           conversation_id=conversation_id, cause_event_id=uuid7(),
                           correlation_id=uuid7())


async def notifies(listener: psycopg.AsyncConnection, wait_s: float) -> int:
    """How many NOTIFYs arrive on the listening connection within `wait_s`."""
    got = 0
    try:
        async with asyncio.timeout(wait_s):
            async for _ in listener.notifies():
                got += 1
    except TimeoutError:
        pass
    return got


@pytest.fixture
async def engine(fresh_schema):
    engine = await fresh_schema("notifier_store")
    await MIGRATIONS.upgrade(engine)
    return engine


async def test_a_pending_mail_wakes_the_senders_at_commit_only(engine):
    async with await psycopg.AsyncConnection.connect(_libpq_dsn(engine),
                                                     autocommit=True) as listener:
        await listener.execute(f'LISTEN "{store.DUE_CHANNEL}"')
        async with engine.connect() as conn:
            await conn.begin()
            mail = pending()
            await store.add_pending(conn, mail)
            assert await notifies(listener, 0.3) == 0  # not before commit
            await conn.commit()
        assert await notifies(listener, 2.0) == 1

        async with engine.connect() as conn:
            await conn.begin()
            await store.add_pending(conn, pending())
            await conn.rollback()
        async with engine.begin() as conn:  # the same mail again: nothing new is due
            await store.add_pending(conn, mail)
        assert await notifies(listener, 0.5) == 0


async def test_one_claim_leases_the_due_rows_and_says_when_the_next_comes_due(engine):
    later = datetime.now(UTC) + timedelta(hours=1)
    async with engine.begin() as conn:
        rows, next_due = await store.claim(conn, limit=10, lease_s=60)
    assert (rows, next_due) == ([], None)  # nothing pending at all

    async with engine.begin() as conn:
        for conversation_id in ("c-1", "c-2", "c-3"):
            await store.add_pending(conn, pending(conversation_id))
        await store.add_pending(conn, pending("c-later"), not_before=later)
    async with engine.begin() as conn:
        rows, next_due = await store.claim(conn, limit=2, lease_s=7200)
    # One due row is left over (limit 2): the sender must come back at once for it.
    assert len(rows) == 2 and next_due is not None and next_due <= datetime.now(UTC)
    async with engine.begin() as conn:
        rows, next_due = await store.claim(conn, limit=10, lease_s=7200)
    assert [r.conversation_id for r in rows] == ["c-3"]
    assert next_due == later  # not the leases (2 h), not the rows' old due times
    async with engine.begin() as conn:
        rows, next_due = await store.claim(conn, limit=10, lease_s=60)
        assert rows == [] and next_due == later
        assert next_due == await conn.scalar(  # the earliest pending, asked on its own
            select(func.min(notifications.c.next_attempt_at))
            .where(notifications.c.state == PENDING))

    async with engine.begin() as conn:  # a short lease ends before the reminder
        await store.add_pending(conn, pending("c-4"))
    async with engine.begin() as conn:
        before = datetime.now(UTC)
        rows, next_due = await store.claim(conn, limit=10, lease_s=5)
    assert [r.conversation_id for r in rows] == ["c-4"]
    assert next_due is not None and before < next_due < before + timedelta(seconds=6)
    assert rows[0].next_attempt_at == next_due


async def test_marking_sent_takes_the_pending_rows_given_and_only_once(engine):
    mails = [pending(f"c-{i}") for i in range(3)]
    async with engine.begin() as conn:
        for mail in mails:
            await store.add_pending(conn, mail)
    ids = [mail.notification_id for mail in mails]
    async with engine.begin() as conn:
        assert await store.mark_sent(conn, ids[:2]) == set(ids[:2])
    async with engine.begin() as conn:  # a sender whose lease ran out marks them again
        assert await store.mark_sent(conn, ids) == {ids[2]}
    async with engine.connect() as conn:
        states = dict((await conn.execute(select(
            notifications.c.notification_id, notifications.c.attempts)
            .where(notifications.c.state == "sent"))).all())
    assert states == {i: 1 for i in ids}  # each counted one attempt, not two

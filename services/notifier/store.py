"""Writes to the notification log (reads are in queries.py). The inbox handler only inserts; the sender claims due
rows with a lease, then marks each sent, retried or given up."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.domain import CANCELLED, PENDING, SENT, NewNotification
from services.notifier.tables import notifications as n

DUE_CHANNEL = "notifier_due"  # NOTIFY'd when a mail is added, LISTENed to by the senders


def _now() -> datetime:
    return datetime.now(UTC)


async def add_pending(conn: AsyncConnection, notification: NewNotification, *,
                      not_before: datetime | None = None) -> None:
    # The inbox already drops a redelivered event; the derived id makes this safe regardless.
    later = {"next_attempt_at": not_before} if not_before is not None else {}
    await conn.execute(insert(n).values(**asdict(notification), state=PENDING, **later)
                       .on_conflict_do_nothing(index_elements=[n.c.notification_id]))
    # Wakes the senders (delivered at commit) instead of their polling for due mail.
    await conn.execute(text(f"SELECT pg_notify('{DUE_CHANNEL}', '')"))


async def cancel_pending(conn: AsyncConnection, conversation_id: str, reason: str) -> None:
    """Pending notifications that no longer apply (a reminder for an answer now read)."""
    await conn.execute(update(n).where(n.c.conversation_id == conversation_id,
                                       n.c.reason == reason, n.c.state == PENDING)
                       .values(state=CANCELLED))


async def claim_due(conn: AsyncConnection, *, limit: int, lease_s: float) -> list[Row]:
    """Take due pending rows for `lease_s`: other senders skip them meanwhile, and if this one
    dies before finishing they come due again when the lease runs out."""
    due = (select(n.c.notification_id).where(n.c.state == PENDING, n.c.next_attempt_at <= _now())
           .order_by(n.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
    result = await conn.execute(
        update(n).where(n.c.notification_id.in_(due.scalar_subquery()))
        .values(next_attempt_at=_now() + timedelta(seconds=lease_s)).returning(*n.c))
    return list(result.all())


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending notification comes due (a retry, a reminder, a lease that
    runs out), so the sender sleeps until then rather than polling."""
    return await conn.scalar(select(func.min(n.c.next_attempt_at)).where(n.c.state == PENDING))


async def mark_sent(conn: AsyncConnection, notification_id: UUID) -> bool:
    done = await conn.execute(
        update(n).where(n.c.notification_id == notification_id, n.c.state == PENDING)
        .values(state=SENT, sent_at=_now(), attempts=n.c.attempts + 1, last_error=None,
                link_token=None)
        .returning(n.c.notification_id))
    return done.first() is not None


async def mark_failed_attempt(conn: AsyncConnection, notification_id: UUID, *, state: str,
                              error: str, retry_in_s: float) -> None:
    await conn.execute(
        update(n).where(n.c.notification_id == notification_id, n.c.state == PENDING)
        .values(state=state, attempts=n.c.attempts + 1, last_error=error[:100],
                link_token=n.c.link_token if state == PENDING else None,
                next_attempt_at=_now() + timedelta(seconds=retry_in_s)))


async def mark_final(conn: AsyncConnection, notification_id: UUID, state: str) -> None:
    await conn.execute(update(n).where(n.c.notification_id == notification_id,
                                       n.c.state == PENDING).values(state=state, link_token=None))

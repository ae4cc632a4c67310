"""Writes to the notification log (reads are in queries.py). The inbox handler only inserts; the sender claims due
rows with a lease, then marks each sent, retried or given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Row,
    String,
    bindparam,
    exists,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.domain import CANCELLED, PENDING, SENT, NewNotification
from services.notifier.tables import notifications as n

DUE_CHANNEL = "notifier_due"  # NOTIFY'd when a mail is added, LISTENed to by the senders


def _now() -> datetime:
    return datetime.now(UTC)


# One statement per pending mail: the row's INSERT wakes the senders itself (delivered at
# commit; a rolled-back transaction takes both away), as shared.outbox.Outbox does. A row
# that already exists (the same event again: its id derives from the event's) inserts
# nothing and so returns, and NOTIFYs, nothing: nothing new is due. Built once: only the
# values change per call.
_ADD_PENDING = (insert(n).on_conflict_do_nothing(index_elements=[n.c.notification_id])
                .returning(func.pg_notify(literal(DUE_CHANNEL, String), literal("", String))))


async def add_pending(conn: AsyncConnection, notification: NewNotification, *,
                      not_before: datetime | None = None) -> None:
    # The inbox already drops a redelivered event; the derived id makes this safe regardless.
    later = {"next_attempt_at": not_before} if not_before is not None else {}
    # vars, not dataclasses.asdict: that deep-copies every value (ids included) per call.
    await conn.execute(_ADD_PENDING, {**vars(notification), "state": PENDING, **later})


_CANCEL_PENDING = update(n).where(
    n.c.conversation_id == bindparam("conv_id"), n.c.reason == bindparam("why"),
    n.c.state == PENDING).values(state=CANCELLED)


async def cancel_pending(conn: AsyncConnection, conversation_id: str, reason: str) -> None:
    """Pending notifications that no longer apply (a reminder for an answer now read)."""
    await conn.execute(_CANCEL_PENDING, {"conv_id": conversation_id, "why": reason})


def _claim_statement():
    """One statement for what were two (claim, then the earliest due time): the due rows
    locked and leased (`claimed`), and beside them when the next pending mail comes due. All
    parts of a statement see one snapshot, so the minimum cannot see the leases just set: it
    takes the pending rows other than those claimed, and the lease's end if any was."""
    now = bindparam("now", type_=DateTime(timezone=True))
    until = bindparam("lease_until", type_=DateTime(timezone=True))
    due = (select(n.c.notification_id).where(n.c.state == PENDING, n.c.next_attempt_at <= now)
           .order_by(n.c.next_attempt_at).limit(bindparam("limit"))
           .with_for_update(skip_locked=True).cte("due"))
    claimed = (update(n).where(n.c.notification_id == due.c.notification_id)
               .values(next_attempt_at=until).returning(*n.c).cte("claimed"))
    others = (select(func.min(n.c.next_attempt_at))
              .where(n.c.state == PENDING,
                     ~exists().where(due.c.notification_id == n.c.notification_id))
              .scalar_subquery())
    lease_end = select(until).where(exists(select(claimed.c.notification_id))).scalar_subquery()
    head = select(func.least(others, lease_end).label("next_due")).subquery("head")
    return (select(head.c.next_due, *claimed.c)
            .select_from(head.outerjoin(claimed, true())))


_CLAIM = _claim_statement()


async def claim(conn: AsyncConnection, *, limit: int,
                lease_s: float) -> tuple[list[Row], datetime | None]:
    """Take due pending rows for `lease_s` (other senders skip them meanwhile, and if this one
    dies before finishing they come due again when the lease runs out), and say when the
    earliest pending notification then comes due (a retry, a reminder, a lease that runs
    out), so the sender sleeps until then rather than polling."""
    now = _now()
    result = (await conn.execute(_CLAIM, {"now": now, "limit": limit,
                                          "lease_until": now + timedelta(seconds=lease_s)}))
    rows = list(result.all())
    claimed = [r for r in rows if r.notification_id is not None]
    return claimed, rows[0].next_due if rows else None


_MARK_SENT = (update(n).where(n.c.notification_id.in_(bindparam("ids", expanding=True)),
                             n.c.state == PENDING)
              .values(state=SENT, sent_at=bindparam("at"), attempts=n.c.attempts + 1,
                      last_error=None, link_token=None)
              .returning(n.c.notification_id))


async def mark_sent(conn: AsyncConnection, notification_ids: list[UUID]) -> set[UUID]:
    """The given rows still pending marked sent, in one statement; returns which were (a row
    marked before, by a sender whose lease had run out, is not marked again)."""
    done = await conn.execute(_MARK_SENT, {"ids": list(notification_ids), "at": _now()})
    return set(done.scalars())


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

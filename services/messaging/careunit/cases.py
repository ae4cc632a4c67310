"""Loading a unit's case (its first message's row) for a command, and emitting its events:
the small helpers every care-unit command shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit.tables import unit_messages
from services.messaging.context import MailboxContext
from services.messaging.domain import Case, DomainError
from shared.auth import Principal
from shared.errors import CommandError
from shared.events import Actor, Envelope, EventData, new_event
from shared.events.envelope import SYSTEM
from shared.events.topics import CAREUNIT_MAILBOX

# The hot statements are built once, with their values as parameters: building a statement
# and deriving its cache key took 0.1-0.2 ms of CPU per call, a prebuilt one is keyed once
# (docs/capacity.md, perf12).
_LOCKED = select(unit_messages).where(
    unit_messages.c.message_id == bindparam("case_id")).with_for_update()
# SET takes the columns named by the parameters; the case's id is not a column's name.
_STORE = update(unit_messages).where(unit_messages.c.message_id == bindparam("case_id"))


async def locked(conn: AsyncConnection, message_id: str):
    """The row, locked until commit: concurrent commands on one message run one after the
    other, and the second sees what the first did (that is how one of two wins)."""
    return (await conn.execute(_LOCKED, {"case_id": message_id})).first()


def case_of(row) -> Case:
    return Case(status=row.status, assigned_to=row.assigned_to, group_id=row.group_id)


def transition(action):
    """Run a domain transition, turning its refusal into the command's error."""
    try:
        return action()
    except DomainError as exc:
        raise CommandError(exc.status, exc.reason) from exc


async def store(conn: AsyncConnection, message_id: str, case: Case, **extra) -> None:
    await conn.execute(_STORE, {
        "case_id": message_id, "status": case.status, "assigned_to": case.assigned_to,
        "group_id": case.group_id, "last_activity_at": datetime.now(UTC), **extra})


async def emit(box: MailboxContext, conn: AsyncConnection, staff: Principal | None, key: str,
               data: EventData) -> Envelope:
    actor = Actor(id=staff.subject, role="staff") if staff is not None else SYSTEM
    event = new_event(data, source=box.source, subject=key, actor=actor)
    await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, key, event)
    return event

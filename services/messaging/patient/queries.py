"""The patient's view of their conversations. Reading a conversation marks the unit's
messages as read (the patient's read receipt, MessageRead to the unit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging import appointment_rows, paging
from services.messaging.body import Content, patient_recipient, sealed_from_row
from services.messaging.context import MailboxContext
from services.messaging.domain import Conversation
from services.messaging.patient.offers import Offer, unit_offers_for
from services.messaging.patient.tables import appointments, care_units, conversations, messages
from shared.auth import Principal
from shared.crypto.sealing import Binding
from shared.errors import CommandError
from shared.events import Actor, new_event
from shared.events.contracts import MessageRead
from shared.events.topics import PATIENT_MAILBOX

_UNREAD = (select(func.count()).where(
    messages.c.conversation_id == conversations.c.conversation_id,
    messages.c.direction == "to_patient", messages.c.opened_at.is_(None))
    .correlate(conversations).scalar_subquery().label("unread"))


def _summaries(*, unread: bool = True):
    """Conversations with their unit's name and (`unread`) the count of unopened answers;
    reading a conversation opens them all, so it skips the count."""
    return select(conversations, care_units.c.name.label("care_unit_name"),
                  *([_UNREAD] if unread else [])).join(
        care_units, care_units.c.unit_id == conversations.c.care_unit_id, isouter=True)


async def list_conversations(box: MailboxContext, patient: Principal, *, limit: int,
                             after: str | None, archived: bool = False) -> dict:
    """Newest first, by (created_at, conversation_id) descending: a conversation keeps its
    place however often it is written in, so pages never repeat or skip one. The archived
    ones (the patient's archive folder) only with `archived`, the others only without."""
    c = conversations.c
    query = _summaries().where(c.patient_id == patient.subject,
                               c.archived_at.is_not(None) if archived else c.archived_at.is_(None))
    if (start := paging.decode(after)) is not None:
        at, last = start
        query = query.where(or_(c.created_at < at,
                                and_(c.created_at == at, c.conversation_id < last)))
    async with box.engine.connect() as conn:
        rows = (await conn.execute(query.order_by(c.created_at.desc(),
                                                  c.conversation_id.desc())
                                   .limit(limit + 1))).all()
    rows, cursor = paging.page(rows, limit, lambda r: (r.created_at, r.conversation_id))
    return {"items": [dict(r._mapping) for r in rows], "next": cursor}


# A conversation's read, built once with its ids as parameters: building and keying these
# per call cost more CPU than PostgreSQL took to answer them (docs/capacity.md, perf12).
_LOCKED_CONVERSATION = (_summaries(unread=False).where(
    conversations.c.conversation_id == bindparam("conv_id"),
    conversations.c.patient_id == bindparam("patient"))
    .with_for_update(of=conversations))
_MESSAGES = (select(messages).where(messages.c.conversation_id == bindparam("conv_id"))
             .order_by(messages.c.created_at, messages.c.message_id))


async def _open_all(box: MailboxContext, conn: AsyncConnection, patient: Principal,
                    conversation_id: str) -> tuple[Sequence[Any], list[dict]]:
    rows = (await conn.execute(_MESSAGES, {"conv_id": conversation_id})).all()
    opened = []
    for row in rows:
        content = Content.model_validate_json(await box.keyring.open(
            conn, sealed_from_row(row),
            Binding(row.message_id, conversation_id, patient_recipient(patient.subject))))
        opened.append({"message_id": row.message_id, "direction": row.direction,
                       "created_at": row.created_at, "opened_at": row.opened_at,
                       **content.model_dump()})
    return rows, opened


async def read_conversation(box: MailboxContext, patient: Principal,
                            conversation_id: str) -> dict:
    async with box.engine.begin() as conn:
        conv = (await conn.execute(_LOCKED_CONVERSATION, {
            "conv_id": conversation_id, "patient": patient.subject})).first()
        if conv is None:  # someone else's id looks exactly like a missing one
            raise CommandError(404, "no such conversation")
        rows, opened = await _open_all(box, conn, patient, conversation_id)
        now = datetime.now(UTC)
        fresh = [r.message_id for r in rows if r.direction == "to_patient" and
                 r.opened_at is None]
        if fresh:
            await conn.execute(update(messages).where(messages.c.message_id.in_(fresh))
                               .values(opened_at=now))
            await conn.execute(update(conversations).where(
                conversations.c.conversation_id == conversation_id).values(unread_reply=False))
            event = new_event(MessageRead(conversation_id=conversation_id,
                                          patient_id=patient.subject, reply_ids=fresh),
                              source=box.source, subject=conversation_id,
                              actor=Actor(id=patient.subject, role="patient"))
            await box.outbox.enqueue(conn, PATIENT_MAILBOX, conversation_id, event)
        planned = await appointment_rows.of_conversation(conn, appointments, conversation_id)
    return {**dict(conv._mapping), "unread": 0, "unread_reply": False, "appointments": planned,
            "can_reply": Conversation(conv.status).can_reply, "messages": opened}


async def list_units(box: MailboxContext) -> list[dict]:
    async with box.engine.connect() as conn:
        rows = (await conn.execute(care_units.select().order_by(care_units.c.name))).all()
    return [dict(r._mapping) for r in rows]


async def offers_at(box: MailboxContext, unit_id: str) -> dict[str, Offer]:
    """What the patient can use at the unit, and the form version to fill in for each."""
    async with box.engine.connect() as conn:
        offers = await unit_offers_for(conn, unit_id)
    if offers is None:
        raise CommandError(404, "unknown care unit")  # no echo of what was sent
    return offers

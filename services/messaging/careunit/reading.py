"""Opening a case: the whole thread in clear, after its access record.

`open_thread` is a POST, never a GET: it writes the audit record (MessageOpened) in the same
transaction that reads the content, so content never leaves without its record, and a
cross-site GET cannot make a member of staff "open" a message."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.body import Content, sealed_from_row, unit_recipient
from services.messaging.careunit import access, groups
from services.messaging.careunit.cases import case_of, emit, locked
from services.messaging.careunit.tables import follow_ups, replies, unit_messages
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.sealing import Binding
from shared.errors import CommandError
from shared.events.contracts import MessageOpened


async def _thread(box: MailboxContext, conn: AsyncConnection, row) -> list[dict]:
    unit = unit_recipient(row.care_unit_id)

    async def opened(item_id: str, sealed_row) -> dict:
        return Content.model_validate_json(await box.keyring.open(
            conn, sealed_from_row(sealed_row), Binding(item_id, row.conversation_id, unit))
        ).model_dump()

    items = [{"message_id": row.message_id, "direction": "to_unit",
              "created_at": row.submitted_at, "author_id": row.patient_id,
              "opened_at": row.opened_at, **await opened(row.message_id, row)}]
    for f in (await conn.execute(select(follow_ups).where(
            follow_ups.c.message_id == row.message_id))).all():
        items.append({"message_id": f.follow_up_id, "direction": "to_unit",
                      "created_at": f.sent_at, "author_id": row.patient_id,
                      "opened_at": f.opened_at, **await opened(f.follow_up_id, f)})
    for r in (await conn.execute(select(replies).where(
            replies.c.message_id == row.message_id))).all():
        items.append({"message_id": r.reply_id, "direction": "to_patient",
                      "created_at": r.sent_at, "author_id": r.clinician_id,
                      "opened_at": r.opened_at, "action": r.action,
                      **await opened(r.reply_id, r)})
    return sorted(items, key=lambda i: (i["created_at"], i["message_id"]))


async def _mark_seen(conn: AsyncConnection, row, now: datetime) -> list[str]:
    """The patient's messages shown for the first time: their read receipts."""
    seen = [] if row.opened_at is not None else [row.message_id]
    if seen:
        await conn.execute(update(unit_messages).where(
            unit_messages.c.message_id == row.message_id).values(opened_at=now))
    fresh = (await conn.execute(update(follow_ups).where(
        follow_ups.c.message_id == row.message_id, follow_ups.c.opened_at.is_(None))
        .values(opened_at=now).returning(follow_ups.c.follow_up_id))).all()
    return seen + sorted(r.follow_up_id for r in fresh)


async def open_thread(box: MailboxContext, staff: Principal, message_id: str) -> dict:
    async with box.engine.begin() as conn:
        row = await locked(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        role = row and access.reader_role(staff, unit, case_of(row),
                                          await groups.groups_of(conn, unit, staff.subject))
        if role is None:  # someone else's message looks exactly like a missing one
            raise CommandError(404, "no such message")
        thread = await _thread(box, conn, row)
        seen = await _mark_seen(conn, row, datetime.now(UTC))
        if row.unread_from_patient:
            await conn.execute(update(unit_messages).where(
                unit_messages.c.message_id == message_id).values(unread_from_patient=False))
        await emit(box, conn, staff, row.conversation_id, MessageOpened(
            conversation_id=row.conversation_id, message_id=message_id, care_unit_id=unit,
            staff_id=staff.subject, staff_role=role, seen_message_ids=seen))
    first = thread[0]
    return {**{k: first[k] for k in ("subject", "text", "form", "answers")},
            "messages": thread}

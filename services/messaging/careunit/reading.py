"""Opening a case: the whole thread in clear, after its access record.

`open_thread` is a POST, never a GET: it writes the audit record (MessageOpened) and the
unit's own access-log row (same event id; the audit service reconciles against it) in the
same transaction that reads the content, so content never leaves without its record, and a
cross-site GET cannot make a member of staff "open" a message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import bindparam, literal_column, null, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.body import Content, sealed_from_row, unit_recipient
from services.messaging.careunit import access, access_log, denials, groups, queries
from services.messaging.careunit.cases import case_of, emit
from services.messaging.careunit.tables import follow_ups, replies, unit_messages
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.sealing import Binding
from shared.errors import CommandError
from shared.events.contracts import MessageOpened

Basis = Literal["assigned", "group_pool", "administrator"]


# Built once (see cases.py): the case's later items, and the case row itself.
def _later_items_statement():
    """The patient's follow-ups and the unit's replies of a case, in one statement."""
    f, r, case = follow_ups.c, replies.c, bindparam("case_id")
    return union_all(
        select(literal_column("'to_unit'").label("direction"), f.follow_up_id.label("item_id"),
               f.sent_at, f.opened_at, f.sealed_key_id, f.sealed_ciphertext,
               null().label("clinician_id"), null().label("action"))
        .where(f.message_id == case),
        select(literal_column("'to_patient'"), r.reply_id, r.sent_at, r.opened_at,
               r.sealed_key_id, r.sealed_ciphertext, r.clinician_id, r.action)
        .where(r.message_id == case))


_LATER_ITEMS = _later_items_statement()
# The case row with its pool's group name (for the metadata returned with the content),
# locked until commit like cases.locked.
_LOCKED_CASE = (queries.meta_query().add_columns(
    unit_messages.c.sealed_key_id, unit_messages.c.sealed_ciphertext, unit_messages.c.opened_at)
    .where(unit_messages.c.message_id == bindparam("case_id")).with_for_update(of=unit_messages))


async def _later_items(conn: AsyncConnection, message_id: str):
    return (await conn.execute(_LATER_ITEMS, {"case_id": message_id})).all()


async def _locked_case(conn: AsyncConnection, message_id: str):
    return (await conn.execute(_LOCKED_CASE, {"case_id": message_id})).first()


async def _thread(box: MailboxContext, conn: AsyncConnection, row, later) -> list[dict]:
    unit = unit_recipient(row.care_unit_id)

    async def opened(item_id: str, sealed_row) -> dict:
        return Content.model_validate_json(await box.keyring.open(
            conn, sealed_from_row(sealed_row), Binding(item_id, row.conversation_id, unit))
        ).model_dump()

    items = [{"message_id": row.message_id, "direction": "to_unit",
              "created_at": row.submitted_at, "author_id": row.patient_id,
              "opened_at": row.opened_at, **await opened(row.message_id, row)}]
    for i in later:
        reply = i.direction == "to_patient"
        items.append({"message_id": i.item_id, "direction": i.direction,
                      "created_at": i.sent_at,
                      "author_id": i.clinician_id if reply else row.patient_id,
                      "opened_at": i.opened_at, **({"action": i.action} if reply else {}),
                      **await opened(i.item_id, i)})
    return sorted(items, key=lambda i: (i["created_at"], i["message_id"]))


async def thread_of(box: MailboxContext, conn: AsyncConnection, row) -> list[dict]:
    """The whole thread of a case row in clear, in order (for an attachment's name)."""
    return await _thread(box, conn, row, await _later_items(conn, row.message_id))


async def _mark_seen(conn: AsyncConnection, row, later, now: datetime) -> list[str]:
    """The patient's messages shown for the first time: their read receipts. One update of
    the case row (first open, unread flag) and one of the follow-ups only if any is new."""
    seen = [] if row.opened_at is not None else [row.message_id]
    values = ({"opened_at": now} if seen else {}) | (
        {"unread_from_patient": False} if row.unread_from_patient else {})
    if values:
        await conn.execute(update(unit_messages).where(
            unit_messages.c.message_id == row.message_id).values(**values))
    new = [i.item_id for i in later if i.direction == "to_unit" and i.opened_at is None]
    if not new:
        return seen
    fresh = (await conn.execute(update(follow_ups).where(
        follow_ups.c.follow_up_id.in_(new), follow_ups.c.opened_at.is_(None))
        .values(opened_at=now).returning(follow_ups.c.follow_up_id))).all()
    return seen + sorted(r.follow_up_id for r in fresh)


def _basis(role: str, staff: Principal, row) -> Basis:
    if role != access.CLINICIAN:
        return "administrator"
    return "assigned" if row.assigned_to == staff.subject else "group_pool"


async def open_thread(box: MailboxContext, staff: Principal, message_id: str) -> dict:
    """The case's metadata (as queries.message_meta gives it) with its content and thread."""
    async with box.engine.begin() as conn:
        row = await _locked_case(conn, message_id)
        unit = row.care_unit_id if row is not None else ""
        role = row and access.reader_role(staff, unit, case_of(row),
                                          await groups.groups_for(conn, staff, unit, row))
        if role is not None:
            later = await _later_items(conn, message_id)
            thread = await _thread(box, conn, row, later)
            seen = await _mark_seen(conn, row, later, datetime.now(UTC))
            event = await emit(box, conn, staff, row.conversation_id, MessageOpened(
                conversation_id=row.conversation_id, message_id=message_id, care_unit_id=unit,
                staff_id=staff.subject, staff_role=role, seen_message_ids=seen,
                patient_id=row.patient_id, access_basis=_basis(role, staff, row)))
            # The unit's own append-only access log, in the read's transaction: audit
            # reconciles against it, so no read is ever missing from the audit log.
            await access_log.record(conn, event, unit, row.conversation_id, message_id,
                                    staff.subject, role)
    if role is None:  # someone else's message looks exactly like a missing one
        if row is not None:
            await denials.record(box, staff, row, "open")
        raise CommandError(404, "no such message")
    first = thread[0]
    # The metadata from the row read here (no second read): only the unread flag changed.
    return {**queries.shape(row, datetime.now(UTC), unread_from_patient=False),
            **{k: first[k] for k in ("subject", "text", "form", "answers")},
            "messages": thread}

"""Care-unit use cases: read (audited), assign, take back, answer. Each runs in one
transaction of the care-unit database with its events in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.body import (Content, patient_recipient, seal_content, sealed_columns,
                                     sealed_from_row, unit_recipient)
from services.messaging.careunit import access
from services.messaging.careunit.tables import replies, staff_members, unit_messages
from services.messaging.context import CommandError, MailboxContext
from shared.auth import Principal
from shared.crypto.sealing import Binding
from shared.events import Actor, EventData, new_event
from shared.events.contracts import (MessageAssigned, MessageOpened, MessageTakenBack,
                                     ReplySent)
from shared.events.topics import CAREUNIT_MAILBOX
from shared.ids import uuid7


async def _locked_message(conn: AsyncConnection, message_id: str):
    return (await conn.execute(select(unit_messages).where(
        unit_messages.c.message_id == message_id).with_for_update())).first()


async def _emit(box: MailboxContext, conn: AsyncConnection, staff: Principal, msg,
                data: EventData) -> None:
    event = new_event(data, source=box.source, subject=msg.conversation_id,
                      actor=Actor(id=staff.subject, role="staff"))
    await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, msg.conversation_id, event)


async def read_message(box: MailboxContext, staff: Principal, message_id: str) -> dict:
    """Content is returned only after the access record (MessageOpened) has committed."""
    async with box.engine.begin() as conn:
        msg = await _locked_message(conn, message_id)
        role = msg and access.reader_role(staff, msg.care_unit_id, msg.assigned_to)
        if role is None:  # someone else's message looks exactly like a missing one
            raise CommandError(404, "no such message")
        unit = unit_recipient(msg.care_unit_id)
        content = Content.model_validate_json(await box.keyring.open(
            conn, sealed_from_row(msg), Binding(msg.message_id, msg.conversation_id, unit)))
        answers = []
        for r in (await conn.execute(select(replies).where(
                replies.c.message_id == message_id).order_by(replies.c.sent_at))).all():
            reply = Content.model_validate_json(await box.keyring.open(
                conn, sealed_from_row(r), Binding(r.reply_id, msg.conversation_id, unit)))
            answers.append({"reply_id": r.reply_id, "clinician_id": r.clinician_id,
                            "sent_at": r.sent_at, **reply.model_dump()})
        await _emit(box, conn, staff, msg, MessageOpened(
            conversation_id=msg.conversation_id, message_id=message_id,
            care_unit_id=msg.care_unit_id, staff_id=staff.subject, staff_role=role))
    meta = {k: v for k, v in msg._mapping.items() if not k.startswith("sealed_")}
    return {**meta, **content.model_dump(), "replies": answers}


async def assign(box: MailboxContext, staff: Principal, message_id: str,
                 clinician_id: str) -> None:
    async with box.engine.begin() as conn:
        msg = await _locked_message(conn, message_id)
        if msg is None or not access.is_admin(staff, msg.care_unit_id):
            raise CommandError(404, "no such message")
        if msg.status != "unassigned":
            raise CommandError(409, f"message is {msg.status}; take it back first"
                               if msg.status == "assigned" else f"message is {msg.status}")
        member = (await conn.execute(select(staff_members.c.roles).where(
            staff_members.c.staff_id == clinician_id,
            staff_members.c.care_unit_id == msg.care_unit_id))).scalar_one_or_none()
        if member is None or access.CLINICIAN not in member:
            raise CommandError(422, "clinician_id is not a clinician of this care unit")
        await conn.execute(update(unit_messages).where(unit_messages.c.message_id == message_id)
                           .values(status="assigned", assigned_to=clinician_id,
                                   assigned_at=datetime.now(UTC)))
        await _emit(box, conn, staff, msg, MessageAssigned(
            conversation_id=msg.conversation_id, message_id=message_id,
            care_unit_id=msg.care_unit_id, clinician_id=clinician_id))


async def take_back(box: MailboxContext, staff: Principal, message_id: str) -> None:
    async with box.engine.begin() as conn:
        msg = await _locked_message(conn, message_id)
        if msg is None or not access.is_admin(staff, msg.care_unit_id):
            raise CommandError(404, "no such message")
        if msg.status != "assigned":
            raise CommandError(409, f"message is {msg.status}, not assigned")
        await conn.execute(update(unit_messages).where(unit_messages.c.message_id == message_id)
                           .values(status="unassigned", assigned_to=None, assigned_at=None))
        await _emit(box, conn, staff, msg, MessageTakenBack(
            conversation_id=msg.conversation_id, message_id=message_id,
            care_unit_id=msg.care_unit_id, clinician_id=msg.assigned_to))


async def reply(box: MailboxContext, staff: Principal, message_id: str,
                content: Content) -> str:
    reply_id, now = str(uuid7()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        msg = await _locked_message(conn, message_id)
        if msg is None or access.reader_role(staff, msg.care_unit_id, msg.assigned_to) \
                != access.CLINICIAN:
            raise CommandError(404, "no such message assigned to you")
        if msg.status != "assigned":
            raise CommandError(409, f"message is {msg.status}")
        patient_key, own_key = await box.keyring.peer_key(conn, "patient"), \
            await box.keyring.active(conn)
        if patient_key is None or own_key is None:
            raise CommandError(503, "mailbox keys are not yet distributed; try again shortly")
        to_patient = seal_content(content, public_key=patient_key[1], key_id=patient_key[0],
                                  item_id=reply_id, conversation_id=msg.conversation_id,
                                  recipient=patient_recipient(msg.patient_id))
        own_copy = seal_content(content, public_key=own_key[1], key_id=own_key[0],
                                item_id=reply_id, conversation_id=msg.conversation_id,
                                recipient=unit_recipient(msg.care_unit_id))
        await conn.execute(replies.insert().values(
            reply_id=reply_id, message_id=message_id, clinician_id=staff.subject, sent_at=now,
            **sealed_columns(own_copy)))
        await conn.execute(update(unit_messages).where(unit_messages.c.message_id == message_id)
                           .values(status="answered", answered_at=now))
        await _emit(box, conn, staff, msg, ReplySent(
            conversation_id=msg.conversation_id, message_id=message_id, reply_id=reply_id,
            patient_id=msg.patient_id, care_unit_id=msg.care_unit_id,
            clinician_id=staff.subject, sealed_body=to_patient, sent_at=now))
    return reply_id

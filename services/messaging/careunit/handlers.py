"""Events the care-unit mailbox applies (each inside its inbox transaction)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.body import Content, sealed_columns
from services.messaging.careunit import appointments, files, groups, tables
from services.messaging.careunit.cases import case_of, store
from services.messaging.careunit.promises import promised_days
from services.messaging.careunit.tables import follow_ups, replies, staff_members, unit_messages
from services.messaging.context import MailboxContext
from services.messaging.domain import due_at
from services.messaging.keys import remember_peer_key
from shared import staff_access
from shared.events import Envelope, EventData, new_event, topics
from shared.events.contracts import (
    AppointmentAnswered,
    CareUnitRegistered,
    ContactSettingsChanged,
    ContactVerificationRequested,
    ConversationClosed,
    MailboxKeyPublished,
    MessageAssigned,
    MessageOpened,
    MessagePooled,
    MessageRead,
    MessageReceived,
    MessageRouted,
    MessageSubmitted,
    MessageUnroutable,
    PatientActivated,
    PatientRegistered,
    PatientReplied,
    ReplyDelivered,
    ReplySent,
    StaffLoggedIn,
    StaffLoginFailed,
    StaffMembershipChanged,
    StaffRegistered,
    StaffRevoked,
    UnitServicesChanged,
)
from shared.events.topics import CAREUNIT_MAILBOX
from shared.ids import derived_uuid7
from shared.inbox import Handler, RejectEvent


def advice_recipient(answers: dict | None) -> str | None:
    """The advice form's choice of whom to ask (answer "recipient"), if any."""
    stack = list((answers or {}).get("item", []))
    while stack:
        item = stack.pop()
        if item.get("linkId") == "recipient":
            for answer in item.get("answer", []):
                return (answer.get("valueCoding") or {}).get("code")
        stack.extend(item.get("item", []))
    return None


def pool_for(service_type: str, content: Content | None) -> str | None:
    """The advice e-service lands in the pool the patient chose (None: the general pool,
    also when the mailbox could not open the message: unreadable here means unreadable for
    staff too)."""
    if service_type != "advice" or content is None:
        return None
    return groups.ADVICE_RECIPIENT_GROUP.get(advice_recipient(content.answers) or "")


# What else arrives on the topics the care-unit mailbox reads (shared.events.wiring checks
# at start that every contract there is handled or listed here).
CONSUMES = [topics.IDENTITY, topics.ROUTING, topics.PATIENT_MAILBOX]
NOT_INTERESTED = (CareUnitRegistered, PatientRegistered, PatientActivated,
                  ContactVerificationRequested, ContactSettingsChanged, MessageUnroutable,
                  MessageSubmitted,
                  ReplyDelivered,
                  # what routing relays from other regions for their patient mailboxes
                  UnitServicesChanged, MessageReceived, MessageAssigned, ConversationClosed,
                  MessageOpened, ReplySent,
                  # for the audit log only
                  StaffLoggedIn, StaffLoginFailed)

# The arrival's insert and the patient's read receipts, built once with their values as
# parameters (see cases.py).
_ARRIVED = (insert(unit_messages).on_conflict_do_nothing()
            .returning(unit_messages.c.message_id))
_READ_RECEIPTS = (update(replies).where(
    replies.c.reply_id.in_(bindparam("replies", expanding=True)), replies.c.opened_at.is_(None))
    .values(opened_at=bindparam("at")))


def build_handlers(box: MailboxContext) -> dict[type[EventData], Handler]:
    known_groups = groups.KnownGroups()

    async def routed(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, MessageRouted)
        now = datetime.now(UTC)
        await known_groups.ensure(conn, data.care_unit_id)
        days = await promised_days(conn, data.care_unit_id, data.service_type)
        content = await files.open_arrived(
            box, conn, data.sealed_body, item_id=data.message_id,
            conversation_id=data.conversation_id, unit_id=data.care_unit_id)
        pool = pool_for(data.service_type, content)
        stored = (await conn.execute(_ARRIVED, dict(
            message_id=data.message_id, conversation_id=data.conversation_id,
            care_unit_id=data.care_unit_id, patient_id=data.patient_id,
            service_type=data.service_type, status="unassigned",
            group_id=pool, submitted_at=data.submitted_at, patient_region=data.patient_region,
            received_at=now, due_at=due_at(now, days), last_activity_at=now,
            **sealed_columns(data.sealed_body)))).first()
        if stored is None:
            return  # the same message routed twice (e.g. routing re-processed its input)
        await files.take_in(box, conn, content, item_id=data.message_id,
                            conversation_id=data.conversation_id, patient_id=data.patient_id)
        event = new_event(MessageReceived(
            conversation_id=data.conversation_id, message_id=data.message_id,
            care_unit_id=data.care_unit_id, service_type=data.service_type,
            promised_answer_days=days),
            source=box.source, subject=data.conversation_id, cause=envelope,
            event_id=derived_uuid7(envelope.event_id, "received"))
        await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, data.conversation_id, event)
        if pool is not None:
            event = new_event(MessagePooled(
                conversation_id=data.conversation_id, message_id=data.message_id,
                care_unit_id=data.care_unit_id, group_id=pool),
                source=box.source, subject=data.conversation_id, cause=envelope,
                event_id=derived_uuid7(envelope.event_id, "pooled"))
            await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, data.conversation_id, event)

    async def patient_replied(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, PatientReplied)
        holder = (await conn.execute(select(unit_messages.c.care_unit_id,
                                            unit_messages.c.assigned_to).where(
            unit_messages.c.conversation_id == data.conversation_id))).first()
        if holder is not None and holder.assigned_to is not None:  # before the row lock
            await groups.lock_clinician(conn, holder.care_unit_id, holder.assigned_to)
        row = (await conn.execute(select(unit_messages).where(
            unit_messages.c.conversation_id == data.conversation_id).with_for_update())).first()
        if row is None or row.patient_id != data.patient_id \
                or row.care_unit_id != data.care_unit_id:
            raise RejectEvent(f"follow-up {data.message_id} matches no conversation here")
        now = datetime.now(UTC)
        stored = (await conn.execute(insert(follow_ups).values(
            follow_up_id=data.message_id, message_id=row.message_id, sent_at=data.sent_at,
            received_at=now, **sealed_columns(data.sealed_body))
            .on_conflict_do_nothing().returning(follow_ups.c.follow_up_id))).first()
        if stored is None:
            return
        await files.take_in(box, conn, await files.open_arrived(
            box, conn, data.sealed_body, item_id=data.message_id,
            conversation_id=data.conversation_id, unit_id=data.care_unit_id),
            item_id=data.message_id, conversation_id=data.conversation_id,
            patient_id=data.patient_id)
        away = row.assigned_to is not None and await groups.is_away(
            conn, row.care_unit_id, row.assigned_to)
        case = case_of(row).patient_wrote(holder_away=away)
        await store(conn, row.message_id, case, unread_from_patient=True, closed_at=None,
                    **({} if case.assigned_to else {"assigned_at": None}))
        event = new_event(MessageReceived(
            conversation_id=data.conversation_id, message_id=row.message_id,
            care_unit_id=row.care_unit_id, service_type=row.service_type,
            follow_up_id=data.message_id),
            source=box.source, subject=data.conversation_id, cause=envelope,
            event_id=derived_uuid7(envelope.event_id, "received"))
        await box.outbox.enqueue(conn, CAREUNIT_MAILBOX, data.conversation_id, event)

    async def patient_read(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        """Read receipts: staff see when the patient opened each answer."""
        assert isinstance(data, MessageRead)
        if data.reply_ids:
            await conn.execute(_READ_RECEIPTS, {
                "replies": list(data.reply_ids),
                "at": envelope.occurred_at or datetime.now(UTC)})

    async def staff_memberships(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        """Registered or changed: the event carries the complete list, so replace."""
        assert isinstance(data, StaffRegistered | StaffMembershipChanged)
        await conn.execute(delete(staff_members).where(staff_members.c.staff_id == data.staff_id))
        for m in data.memberships:
            await conn.execute(staff_members.insert().values(
                staff_id=data.staff_id, care_unit_id=m.unit_id, profession=data.profession,
                roles=list(m.roles)))
            await known_groups.ensure(conn, m.unit_id)
        await staff_access.set_memberships(conn, tables.staff_access, data.staff_id,
                                           staff_access.units_of(data))

    async def staff_revoked(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, StaffRevoked)
        await conn.execute(delete(staff_members).where(staff_members.c.staff_id == data.staff_id))
        await staff_access.revoke(conn, tables.staff_access, data.staff_id, data.revoked_at)

    return {
        MessageRouted: routed,
        PatientReplied: patient_replied,
        MessageRead: patient_read,
        AppointmentAnswered: appointments.patient_answered,
        StaffRegistered: staff_memberships,
        StaffMembershipChanged: staff_memberships,
        StaffRevoked: staff_revoked,
        MailboxKeyPublished: remember_peer_key(
            box.keyring, "patient", box.peer_announcements, box.source.region),
    }

"""Events the patient mailbox applies (each inside its inbox transaction)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, bindparam, case, exists, func, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.attachments import store as attachment_store
from services.messaging.body import Content, patient_recipient, sealed_columns
from services.messaging.context import MailboxContext
from services.messaging.domain import PATIENT_STATUSES, Conversation
from services.messaging.keys import remember_peer_key
from services.messaging.patient import appointments
from services.messaging.patient.tables import (
    attachments,
    care_units,
    conversations,
    messages,
    unit_forms,
    unit_offers,
)
from shared.crypto.sealing import Binding
from shared.events import Envelope, EventData, new_event, topics
from shared.events.contracts import (
    AccessDenied,
    AppointmentCancelled,
    AppointmentProposed,
    AttachmentOpened,
    CareUnitRegistered,
    ClinicianAwayChanged,
    ContactSettingsChanged,
    ContactVerificationRequested,
    ConversationClosed,
    FormPublished,
    FormRetired,
    ListingChanged,
    MailboxKeyPublished,
    MessageAssigned,
    MessageOpened,
    MessageOverdue,
    MessagePooled,
    MessageRead,
    MessageReceived,
    MessageRouted,
    MessageTakenBack,
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
from shared.events.topics import PATIENT_MAILBOX
from shared.ids import derived_uuid7
from shared.inbox import Handler, RejectEvent

# What else arrives on the topics the patient mailbox reads (shared.events.wiring checks at
# start that every contract there is handled or listed here).
CONSUMES = [topics.IDENTITY, topics.FORMS, topics.ROUTING, topics.CAREUNIT_MAILBOX]
NOT_INTERESTED = (PatientRegistered, StaffRegistered, StaffMembershipChanged, StaffRevoked,
                  PatientActivated, ContactVerificationRequested, ContactSettingsChanged,
                  MessageRouted,
                  MessageTakenBack, MessagePooled, MessageOverdue, ClinicianAwayChanged,
                  # what routing relays from other regions for their care-unit mailboxes
                  PatientReplied, MessageRead,
                  # for the audit log only
                  AccessDenied, StaffLoggedIn, StaffLoginFailed, AttachmentOpened)


def _moves(step: Callable[[Conversation], Conversation]) -> tuple[tuple[str, ...], ColumnElement]:
    """The statuses `step` changes, and the status after it as a CASE over the row's own:
    the domain's answer for every status (worked out once per step: _move_statement)."""
    moves = {before: after for before in PATIENT_STATUSES
             if (after := step(Conversation(before)).status) != before}
    if not moves:
        return (), conversations.c.status
    return tuple(moves), case(*((conversations.c.status == before, after)
                               for before, after in moves.items()),
                             else_=conversations.c.status)


@functools.cache
def _move_statement(step: Callable[[Conversation], Conversation], extra: tuple[str, ...]):
    """The update `move` runs for `step` (and the `extra` columns it sets), built once: the
    conversation, the time and the extra values are parameters (`new_<column>`)."""
    moving, status = _moves(step)
    return (update(conversations).where(
        conversations.c.conversation_id == bindparam("conv_id"),
        true() if extra else conversations.c.status.in_(moving))
        .values(status=status, updated_at=bindparam("now"),
                **{column: bindparam(f"new_{column}") for column in extra})
        .returning(conversations.c.conversation_id))


def _receipts_statement():
    """The unit's read receipts and whether the conversation is known here, in one
    statement (built once; the conversation, the messages seen and the time as parameters)."""
    receipts = (update(messages).where(
        messages.c.conversation_id == bindparam("conv_id"),
        messages.c.message_id.in_(bindparam("seen", expanding=True)),
        messages.c.direction == "to_unit", messages.c.opened_at.is_(None))
        .values(opened_at=bindparam("at"))
        .returning(messages.c.message_id).cte("receipts"))
    return select(
        exists().where(conversations.c.conversation_id == bindparam("conv_id")),
        select(func.count()).select_from(receipts).scalar_subquery())


_RECEIPTS = _receipts_statement()


def _store_answer_statement():
    """The answer's row and the conversation's new state in one statement: the update
    happens only if the insert did (not for an answer stored before). Built once."""
    new_message = insert(messages).values(
        message_id=bindparam("reply_id"), conversation_id=bindparam("conv_id"),
        direction="to_patient", author_id=bindparam("clinician"),
        created_at=bindparam("sent_at"), sealed_key_id=bindparam("key_id"),
        sealed_ciphertext=bindparam("ciphertext"),
    ).on_conflict_do_nothing().returning(messages.c.message_id).cte("new_message")
    return (update(conversations).where(
        conversations.c.conversation_id == bindparam("conv_id"),
        exists(select(new_message.c.message_id)))
        .values(status=bindparam("status_after"), unread_reply=True, updated_at=bindparam("now"))
        .returning(conversations.c.conversation_id))


_STORE_ANSWER = _store_answer_statement()
_CONVERSATION_ROW_LOCKED = select(conversations).where(
    conversations.c.conversation_id == bindparam("conv_id")).with_for_update()


def build_handlers(box: MailboxContext) -> dict[type[EventData], Handler]:
    async def unit_registered(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, CareUnitRegistered)
        values = {"name": data.name, "services": list(data.services), "region": data.region}
        await conn.execute(insert(care_units).values(unit_id=data.unit_id, **values)
                           .on_conflict_do_update(index_elements=["unit_id"], set_=values))

    async def conversation(conn: AsyncConnection, conversation_id: str):
        conv = (await conn.execute(_CONVERSATION_ROW_LOCKED, {"conv_id": conversation_id})).first()
        if conv is None:
            raise RejectEvent(f"unknown conversation {conversation_id}")
        return conv

    async def move(conn: AsyncConnection, conversation_id: str,
                   step: Callable[[Conversation], Conversation], **extra) -> None:
        """The conversation's status moved as `step` says, in one statement: the domain's
        answer for every status, as a CASE the update applies to the row it locks. Only
        when nothing was updated (an event that changes nothing, or a conversation unknown
        here) is the row looked up, to reject the unknown."""
        changed = (await conn.execute(_move_statement(step, tuple(sorted(extra))), {
            "conv_id": conversation_id, "now": datetime.now(UTC),
            **{f"new_{column}": value for column, value in extra.items()}})).first()
        if changed is None:
            await conversation(conn, conversation_id)

    async def unroutable(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, MessageUnroutable)
        await move(conn, data.conversation_id, Conversation.undeliverable)

    async def received(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, MessageReceived)
        days = {} if data.promised_answer_days is None else {
            "promised_answer_days": data.promised_answer_days}
        await move(conn, data.conversation_id, Conversation.received, **days)

    async def assigned(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, MessageAssigned)
        await move(conn, data.conversation_id, Conversation.handling_started)

    async def closed(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, ConversationClosed)
        await move(conn, data.conversation_id, Conversation.unit_closed)

    async def opened(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        """The unit's read receipts: when staff first opened each of the patient's messages."""
        assert isinstance(data, MessageOpened)
        seen = data.seen_message_ids or [data.message_id]
        known = (await conn.execute(_RECEIPTS, {
            "conv_id": data.conversation_id, "seen": list(seen),
            "at": envelope.occurred_at or datetime.now(UTC)})).one()[0]
        if not known:
            raise RejectEvent(f"unknown conversation {data.conversation_id}")

    async def reply_sent(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, ReplySent)
        conv = await conversation(conn, data.conversation_id)
        if conv.patient_id != data.patient_id or conv.care_unit_id != data.care_unit_id:
            raise RejectEvent(f"reply {data.reply_id} does not match a conversation here")
        after = Conversation(conv.status).unit_replied(data.action)
        sealed = sealed_columns(data.sealed_body)
        stored = (await conn.execute(_STORE_ANSWER, {
            "reply_id": data.reply_id, "conv_id": data.conversation_id,
            "clinician": data.clinician_id, "sent_at": data.sent_at,
            "key_id": sealed["sealed_key_id"], "ciphertext": sealed["sealed_ciphertext"],
            "status_after": after.status, "now": datetime.now(UTC)})).first()
        if stored is None:
            return
        await _take_in_attachments(conn, data)
        event = new_event(ReplyDelivered(
            conversation_id=data.conversation_id, reply_id=data.reply_id,
            patient_id=data.patient_id, care_unit_id=data.care_unit_id),
            source=box.source, subject=data.conversation_id, cause=envelope,
            event_id=derived_uuid7(envelope.event_id, "reply-delivered"))
        await box.outbox.enqueue(conn, PATIENT_MAILBOX, data.conversation_id, event)

    async def _take_in_attachments(conn: AsyncConnection, data: ReplySent) -> None:
        """The answer's files, named inside its sealed content, fetched by claim check."""
        content = Content.model_validate_json(await box.keyring.open(
            conn, data.sealed_body, Binding(data.reply_id, data.conversation_id,
                                            patient_recipient(data.patient_id))))
        if content.attachments:
            await attachment_store.receive(box, conn, attachments, content.attachments,
                                           item_id=data.reply_id,
                                           conversation_id=data.conversation_id,
                                           owner_id=data.clinician_id)

    async def listing_changed(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, ListingChanged)
        await conn.execute(update(conversations).where(
            conversations.c.conversation_id == data.conversation_id,
            conversations.c.patient_id == data.patient_id).values(
            listing_changed_at=data.changed_at))

    async def form_published(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, FormPublished)
        values = {"form_id": data.form_id, "version": data.version, "retired": False}
        await conn.execute(insert(unit_forms).values(
            unit_id=data.unit_id, service_type=data.service_type, **values)
            .on_conflict_do_update(index_elements=["unit_id", "service_type"], set_=values,
                                   where=unit_forms.c.version <= data.version))

    async def form_retired(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, FormRetired)
        await conn.execute(update(unit_forms).where(
            unit_forms.c.unit_id == data.unit_id, unit_forms.c.form_id == data.form_id)
            .values(retired=True))

    async def services_changed(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, UnitServicesChanged)
        values = {"services": [s.model_dump() for s in data.services],
                  "changed_at": data.changed_at}
        # Full snapshots: the newest wins, whatever order they arrive in.
        await conn.execute(insert(unit_offers).values(unit_id=data.unit_id, **values)
                           .on_conflict_do_update(index_elements=["unit_id"], set_=values,
                                                  where=unit_offers.c.changed_at
                                                  < data.changed_at))

    return {
        CareUnitRegistered: unit_registered,
        FormPublished: form_published,
        FormRetired: form_retired,
        UnitServicesChanged: services_changed,
        MessageUnroutable: unroutable,
        MessageReceived: received,
        MessageAssigned: assigned,
        MessageOpened: opened,
        ConversationClosed: closed,
        ReplySent: reply_sent,
        ListingChanged: listing_changed,
        AppointmentProposed: appointments.proposed,
        AppointmentCancelled: appointments.cancelled,
        MailboxKeyPublished: remember_peer_key(
            box.keyring, "careunit", box.peer_announcements, box.source.region),
    }

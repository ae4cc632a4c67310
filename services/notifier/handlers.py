"""Inbox handlers: an event that calls for an e-mail only records a pending notification, in
the inbox's transaction. Sending happens later, in the sender, outside any transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier import store
from services.notifier.domain import (
    REMINDER,
    notification_for,
    reminder_for,
    verification_mail_for,
)
from shared.events import Envelope, EventData
from shared.events.contracts import (
    AccessDenied,
    AppointmentAnswered,
    AppointmentCancelled,
    AppointmentProposed,
    AttachmentOpened,
    CareUnitRegistered,
    ClinicianAwayChanged,
    ContactSettingsChanged,
    ContactVerificationRequested,
    ConversationClosed,
    ListingChanged,
    MailboxKeyPublished,
    MessageAssigned,
    MessageOpened,
    MessageOverdue,
    MessagePooled,
    MessageRead,
    MessageReceived,
    MessageSubmitted,
    MessageTakenBack,
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
)
from shared.events.topics import CAREUNIT_MAILBOX, IDENTITY, PATIENT_MAILBOX
from shared.inbox import Handler

AddPending = Callable[..., Awaitable[None]]  # (conn, notification, *, not_before=None)
Cancel = Callable[[AsyncConnection, str, str], Awaitable[None]]
ContactChanged = Callable[[AsyncConnection, str], Awaitable[None]]  # (conn, patient id)

# The events that call for an e-mail, the topics they arrive on, and the others found there
# (MessageRead is handled too: it cancels the unread-answer reminder; and identity's
# ContactVerificationRequested asks for the mail that verifies a patient's address;
# ContactSettingsChanged drops the patient from every replica's contact cache).
NOTIFYING = (MessageReceived, ReplyDelivered, MessageOverdue)
TOPICS = [CAREUNIT_MAILBOX, PATIENT_MAILBOX, IDENTITY]
NOT_INTERESTED = (MailboxKeyPublished, MessageSubmitted, MessageAssigned, MessageTakenBack,
                  MessageOpened, ReplySent, PatientReplied, MessagePooled, ConversationClosed,
                  ClinicianAwayChanged, CareUnitRegistered, PatientRegistered, StaffRegistered,
                  StaffMembershipChanged, StaffRevoked, PatientActivated, AccessDenied,
                  StaffLoggedIn, StaffLoginFailed, ListingChanged,
                  AttachmentOpened, AppointmentProposed, AppointmentCancelled,
                  AppointmentAnswered)


def make_handlers(add_pending: AddPending = store.add_pending, *,
                  reminder_after_s: float | None = None,
                  cancel_pending: Cancel = store.cancel_pending,
                  contact_changed: ContactChanged | None = None
                  ) -> dict[type[EventData], Handler]:
    """With `reminder_after_s`, an answer also schedules a reminder to the patient for that
    much later, cancelled when the patient reads the conversation (MessageRead)."""

    async def record_notification(conn: AsyncConnection, envelope: Envelope,
                                  data: EventData) -> None:
        notification = notification_for(envelope, data)
        if notification is not None:
            await add_pending(conn, notification)
        if reminder_after_s and isinstance(data, ReplyDelivered):
            due = datetime.now(UTC) + timedelta(seconds=reminder_after_s)
            await add_pending(conn, reminder_for(envelope, data), not_before=due)

    async def read(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, MessageRead)
        await cancel_pending(conn, data.conversation_id, REMINDER)  # nothing pending: no-op

    async def verification(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, ContactVerificationRequested)
        await add_pending(conn, verification_mail_for(envelope, data))

    handlers: dict[type[EventData], Handler] = {contract: record_notification
                                                for contract in NOTIFYING}
    handlers[MessageRead] = read
    handlers[ContactVerificationRequested] = verification

    async def settings_changed(conn: AsyncConnection, _: Envelope, data: EventData) -> None:
        assert isinstance(data, ContactSettingsChanged)
        if contact_changed is not None:  # None: no cache to keep fresh
            await contact_changed(conn, data.patient_id)

    handlers[ContactSettingsChanged] = settings_changed
    return handlers

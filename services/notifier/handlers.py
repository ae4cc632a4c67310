"""Inbox handlers: an event that calls for an e-mail only records a pending notification, in
the inbox's transaction. Sending happens later, in the sender, outside any transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier import store
from services.notifier.domain import NewNotification, notification_for
from shared.events import Envelope, EventData
from shared.events.contracts import (
    MailboxKeyPublished,
    MessageAssigned,
    MessageOpened,
    MessageRead,
    MessageReceived,
    MessageSubmitted,
    MessageTakenBack,
    ReplyDelivered,
    ReplySent,
)
from shared.events.topics import CAREUNIT_MAILBOX, PATIENT_MAILBOX
from shared.inbox import Handler

AddPending = Callable[[AsyncConnection, NewNotification], Awaitable[None]]

# The events that call for an e-mail, the topics they arrive on, and the others found there.
NOTIFYING = (MessageReceived, ReplyDelivered)
TOPICS = [CAREUNIT_MAILBOX, PATIENT_MAILBOX]
NOT_INTERESTED = (MailboxKeyPublished, MessageSubmitted, MessageRead, MessageAssigned,
                  MessageTakenBack, MessageOpened, ReplySent)


def make_handlers(add_pending: AddPending = store.add_pending
                  ) -> dict[type[EventData], Handler]:
    async def record_notification(conn: AsyncConnection, envelope: Envelope,
                                  data: EventData) -> None:
        notification = notification_for(envelope, data)
        if notification is not None:
            await add_pending(conn, notification)

    return {contract: record_notification for contract in NOTIFYING}

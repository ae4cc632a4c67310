"""Inbox handlers: an event that calls for an e-mail only records a pending notification, in
the inbox's transaction. Sending happens later, in the sender, outside any transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier import store
from services.notifier.domain import NewNotification, notification_for
from shared.events import Envelope, EventData
from shared.inbox import Handler

AddPending = Callable[[AsyncConnection, NewNotification], Awaitable[None]]

# The events that call for an e-mail, and the topics they arrive on.
NOTIFYING = ("messaging.message_received.v1", "messaging.reply_delivered.v1",
             "messaging.message_overdue.v1")


def make_handlers(add_pending: AddPending = store.add_pending) -> dict[str, Handler]:
    async def record_notification(conn: AsyncConnection, envelope: Envelope,
                                  data: EventData) -> None:
        notification = notification_for(envelope, data)
        if notification is not None:
            await add_pending(conn, notification)

    return {wire_name: record_notification for wire_name in NOTIFYING}

"""Mailbox key distribution, common to both mailboxes.

At start a mailbox makes sure it has an active key pair; a newly made key is announced with
MailboxKeyPublished through the outbox (so it is announced even if the process dies right
after). Each mailbox remembers the public keys the other one announces."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.crypto.keyring import Keyring
from shared.crypto.sealing import SUITE_ID
from shared.events import Envelope, EventData, Source, new_event
from shared.events.contracts import MailboxKeyPublished
from shared.inbox import Handler
from shared.outbox import Outbox

Mailbox = Literal["patient", "careunit"]


async def ensure_active_key(engine: AsyncEngine, keyring: Keyring, outbox: Outbox, *,
                            mailbox: Mailbox, topic: str, source: Source) -> str:
    async with engine.begin() as conn:
        current = await keyring.active(conn)
        if current is not None:
            return current[0]
        return await rotate_and_announce(conn, keyring, outbox, mailbox=mailbox, topic=topic,
                                         source=source)


async def rotate_and_announce(conn: AsyncConnection, keyring: Keyring, outbox: Outbox, *,
                              mailbox: Mailbox, topic: str, source: Source) -> str:
    key_id, public = await keyring.rotate(conn)
    event = new_event(MailboxKeyPublished(
        mailbox=mailbox, key_id=key_id, suite=SUITE_ID,
        public_key=base64.urlsafe_b64encode(public).decode()), source=source, subject=key_id)
    await outbox.enqueue(conn, topic, key_id, event)
    return key_id


def remember_peer_key(keyring: Keyring, peer: Mailbox) -> Handler:
    """Handler for the other mailbox's MailboxKeyPublished events."""

    async def handle(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, MailboxKeyPublished)
        if data.mailbox != peer:
            return  # our own announcement, read back from a shared topic
        await keyring.remember_peer_key(
            conn, data.mailbox, data.key_id, base64.urlsafe_b64decode(data.public_key),
            envelope.occurred_at or datetime.now(UTC))

    return handle

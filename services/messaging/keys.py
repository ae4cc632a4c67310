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
from shared.events import Envelope, Source, new_event
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


def peer_name(peer: Mailbox, peer_region: str | None, own_region: str) -> str:
    """Under which name a peer mailbox's keys are kept: the own region's plainly, another
    region's (handed over by routing, docs/regions.md) qualified with that region, so a
    message is sealed to the mailbox of the region that will open it."""
    return peer if peer_region in (None, own_region) else f"{peer}@{peer_region}"


def remember_peer_key(keyring: Keyring, peer: Mailbox, own_region: str) -> Handler:
    """Handler for the other mailbox's MailboxKeyPublished events (of any region)."""

    async def handle(conn: AsyncConnection, envelope: Envelope, data: MailboxKeyPublished) -> None:
        if data.mailbox != peer:
            return  # our own announcement (or another region's same kind), read back
        await keyring.remember_peer_key(
            conn, peer_name(peer, envelope.source.region, own_region), data.key_id,
            base64.urlsafe_b64decode(data.public_key), envelope.occurred_at or datetime.now(UTC))

    return handle

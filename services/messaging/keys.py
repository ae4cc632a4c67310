"""Mailbox key distribution, common to both mailboxes.

At start a mailbox makes sure it has an active key pair; a newly made key is announced with
MailboxKeyPublished through the outbox (so it is announced even if the process dies right
after). Each mailbox remembers the public keys the other one announces.

Announcements are signed: whoever could write a key to the topic could otherwise have every
later message sealed to their own key. The announcing mailbox signs (Ed25519) its mailbox
name, key id, suite, public key and a version number it counts up itself; the receiver
checks the signature with the announcer's public signing key pinned in its settings (never
learned from the topic) and uses the key with the highest version, never the newest clock.
Unsigned, wrongly signed or stale (not newer than a key already known) announcements are
rejected (dead letter)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.crypto.keyring import Keyring
from shared.crypto.sealing import SUITE_ID
from shared.events import Envelope, EventData, Source, new_event
from shared.events.contracts import MailboxKeyPublished
from shared.inbox import Handler, RejectEvent
from shared.outbox import Outbox

Mailbox = Literal["patient", "careunit"]
_CONTEXT = "mina-vardkontakter/mailbox-key-announcement/v1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def signed_bytes(data: MailboxKeyPublished) -> bytes:
    """What the signature covers: everything a receiver acts on, in one fixed encoding."""
    return json.dumps([_CONTEXT, data.mailbox, data.key_id, data.key_version, data.suite,
                       data.public_key], separators=(",", ":")).encode()


class AnnouncementSigner:
    """The announcing mailbox's signing key (a secret setting, base64url of 32 bytes)."""

    def __init__(self, private_b64: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(_unb64(private_b64))

    def sign(self, data: MailboxKeyPublished) -> MailboxKeyPublished:
        return data.model_copy(update={"signature": _b64(self._key.sign(signed_bytes(data)))})


class AnnouncementVerifier:
    """The peer mailbox's pinned public signing keys (settings, base64url of 32 bytes): one
    for the own region's peer, and one per other region whose units patients may write to.
    A region without its own pinned key is checked against the own region's key (regions
    that share their signing keys, as the local run's do)."""

    def __init__(self, public_b64: str, by_region: dict[str, str] | None = None) -> None:
        self._key = Ed25519PublicKey.from_public_bytes(_unb64(public_b64))
        self._by_region = {region: Ed25519PublicKey.from_public_bytes(_unb64(key))
                           for region, key in (by_region or {}).items()}

    def check(self, data: MailboxKeyPublished, region: str | None = None) -> None:
        if data.signature is None or data.key_version is None:
            raise RejectEvent("unsigned key announcement")
        key = self._by_region.get(region or "", self._key)
        try:
            key.verify(_unb64(data.signature), signed_bytes(data))
        except (InvalidSignature, ValueError):
            raise RejectEvent("key announcement signature does not verify") from None


def public_signing_key(private_b64: str) -> str:
    """The public half to pin at the peer (devstack, deployment tooling)."""
    public = Ed25519PrivateKey.from_private_bytes(_unb64(private_b64)).public_key()
    return _b64(public.public_bytes_raw())


async def ensure_active_key(engine: AsyncEngine, keyring: Keyring, outbox: Outbox, *,
                            mailbox: Mailbox, topic: str, source: Source,
                            signer: AnnouncementSigner) -> str:
    async with engine.begin() as conn:
        await keyring.lock(conn)  # replicas starting together: the first makes the key
        current = await keyring.active(conn)
        if current is not None:
            return current[0]
        return await rotate_and_announce(conn, keyring, outbox, mailbox=mailbox, topic=topic,
                                         source=source, signer=signer)


async def rotate_and_announce(conn: AsyncConnection, keyring: Keyring, outbox: Outbox, *,
                              mailbox: Mailbox, topic: str, source: Source,
                              signer: AnnouncementSigner) -> str:
    key_id, public = await keyring.rotate(conn)
    data = signer.sign(MailboxKeyPublished(
        mailbox=mailbox, key_id=key_id, suite=SUITE_ID, public_key=_b64(public),
        key_version=await keyring.key_count(conn)))
    await outbox.enqueue(conn, topic, key_id, new_event(data, source=source, subject=key_id))
    return key_id


def peer_name(peer: Mailbox, peer_region: str | None, own_region: str) -> str:
    """Under which name a peer mailbox's keys are kept: the own region's plainly, another
    region's (handed over by routing, docs/regions.md) qualified with that region, so a
    message is sealed to the mailbox of the region that will open it."""
    return peer if peer_region in (None, own_region) else f"{peer}@{peer_region}"


def remember_peer_key(keyring: Keyring, peer: Mailbox,
                      verifier: AnnouncementVerifier | None, own_region: str) -> Handler:
    """Handler for the other mailbox's MailboxKeyPublished events, of any region (None: no
    key pinned, so every announcement is refused). Each announcement is checked against the
    key pinned for the announcing region (AnnouncementVerifier)."""

    async def handle(conn: AsyncConnection, envelope: Envelope, data: EventData) -> None:
        assert isinstance(data, MailboxKeyPublished)
        if data.mailbox != peer:
            return  # our own announcement (or another region's same kind), read back
        if verifier is None:
            raise RejectEvent("no pinned signing key for the announcing mailbox")
        verifier.check(data, envelope.source.region)
        assert data.key_version is not None  # checked above
        name = peer_name(peer, envelope.source.region, own_region)
        if await keyring.peer_key_version(conn, name, data.key_id) == data.key_version:
            return  # the same announcement again (re-sent by the outbox relay)
        newest = await keyring.peer_key_version(conn, name)
        if newest is not None and data.key_version <= newest:
            raise RejectEvent(f"stale key announcement: version {data.key_version} is not "
                              f"newer than {newest}")
        await keyring.remember_peer_key(
            conn, name, data.key_id, _unb64(data.public_key),
            envelope.occurred_at or datetime.now(UTC), version=data.key_version)

    return handle

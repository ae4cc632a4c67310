"""A mailbox's own key pairs, private halves stored wrapped by a key-encryption key (KEK).

Rotation: `rotate()` adds a new key and makes it the active one; older keys stay for
reading what was sealed to them. Peers learn public keys from MailboxKeyPublished events
(stored in the peer key table), each with the version number its announcer gave it: the
newest peer key is the one with the highest version, never the one with the latest clock."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.crypto import sealing
from shared.ids import uuid7


def define_key_tables(metadata: MetaData) -> tuple[Table, Table]:
    own = Table(
        "mailbox_keys", metadata,
        Column("key_id", String(100), primary_key=True),
        Column("public_key", LargeBinary, nullable=False),
        Column("wrapped_private_key", LargeBinary, nullable=False),
        Column("state", String(16), nullable=False),  # active | retired
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    peer = Table(
        "peer_keys", metadata,
        Column("mailbox", String(64), primary_key=True),
        Column("key_id", String(100), primary_key=True),
        Column("public_key", LargeBinary, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=False),
        # The announcer's version number (signed with the key); None: learned before
        # announcements were signed (the mailboxes' revision 0002), never preferred.
        Column("version", Integer),
    )
    return own, peer


MAGIC = b"\xffKEK"  # a versioned wrapped key starts with this, then its KEK version


class KeyWrapper:
    """AES-256-GCM with a key-encryption key (KEK); the key id is associated data so wrapped
    keys can't be swapped between rows.

    A wrapped key names the version of the KEK that wrapped it (MAGIC, one length byte, the
    version, then nonce and ciphertext), so the KEK can rotate: new wraps use the current
    version, old versions given as `previous` still unwrap, and `rewrap` moves a key to the
    current one. Keys wrapped before versions existed (nonce and ciphertext only) are tried
    with every KEK given."""

    def __init__(self, kek: bytes, version: str = "1",
                 previous: Mapping[str, bytes] | None = None) -> None:
        keks = {**(previous or {}), version: kek}
        if any(len(k) != 32 for k in keks.values()):
            raise ValueError("key-encryption key must be 32 bytes")
        if not version or len(version.encode()) > 32:
            raise ValueError("a KEK version is 1 to 32 bytes")
        self.version = version
        self._aeads = {v: AESGCM(k) for v, k in keks.items()}

    @classmethod
    def from_b64(cls, value: str, version: str = "1",
                 previous: Mapping[str, str] | None = None) -> KeyWrapper:
        return cls(base64.urlsafe_b64decode(value), version,
                   {v: base64.urlsafe_b64decode(k) for v, k in (previous or {}).items()})

    def wrap(self, key_id: str, private: bytes) -> bytes:
        nonce, version = os.urandom(12), self.version.encode()
        sealed = self._aeads[self.version].encrypt(nonce, private, _aad(key_id, self.version))
        return MAGIC + bytes([len(version)]) + version + nonce + sealed

    def version_of(self, wrapped: bytes) -> str | None:
        """The KEK version that wrapped this key; None for a key wrapped before versions."""
        if not wrapped.startswith(MAGIC) or len(wrapped) < len(MAGIC) + 1:
            return None
        size = wrapped[len(MAGIC)]
        try:
            return wrapped[len(MAGIC) + 1:len(MAGIC) + 1 + size].decode()
        except UnicodeDecodeError:
            return None

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        version = self.version_of(wrapped)
        if version is not None:
            body = wrapped[len(MAGIC) + 1 + len(version.encode()):]
            if version not in self._aeads:
                raise ValueError(f"key {key_id} is wrapped by KEK version {version!r}, "
                                 "which is not configured (add it to the previous KEKs)")
            try:
                return self._aeads[version].decrypt(body[:12], body[12:], _aad(key_id, version))
            except InvalidTag:
                pass  # 2**-32: a legacy nonce that happens to start with MAGIC
        for aead in self._aeads.values():
            try:
                return aead.decrypt(wrapped[:12], wrapped[12:], key_id.encode())
            except InvalidTag:
                continue
        raise InvalidTag

    def needs_rewrap(self, wrapped: bytes) -> bool:
        return self.version_of(wrapped) != self.version

    def rewrap(self, key_id: str, wrapped: bytes) -> bytes:
        return self.wrap(key_id, self.unwrap(key_id, wrapped))


def _sealing_keys_statement(own_table: Table, peer_table: Table):
    own, theirs = own_table.c, peer_table.c
    return union_all(
        select(literal("own").label("side"), own.key_id, own.public_key)
        .where(own.state == "active").order_by(own.created_at.desc()).limit(1),
        select(literal("peer").label("side"), theirs.key_id, theirs.public_key)
        .where(theirs.mailbox == bindparam("peer"))
        .order_by(theirs.version.desc().nulls_last(), theirs.published_at.desc())
        .limit(1))


def _aad(key_id: str, version: str) -> bytes:
    return f"{key_id}\x00kek:{version}".encode()


class Keyring:
    def __init__(self, mailbox: str, own: Table, peer: Table, wrapper: KeyWrapper) -> None:
        self.mailbox = mailbox
        self._own, self._peer, self._wrapper = own, peer, wrapper
        self._private_cache: dict[str, bytes] = {}
        # Every seal reads both keys: the statement is built once, the peer a parameter
        # (building and keying it per call cost more CPU than PostgreSQL's answer).
        self._sealing_keys = _sealing_keys_statement(own, peer)

    async def active(self, conn: AsyncConnection) -> tuple[str, bytes] | None:
        row = (await conn.execute(
            select(self._own.c.key_id, self._own.c.public_key)
            .where(self._own.c.state == "active").order_by(self._own.c.created_at.desc()).limit(1)
        )).first()
        return (row.key_id, row.public_key) if row else None

    async def sealing_keys(self, conn: AsyncConnection, peer: str
                           ) -> tuple[tuple[str, bytes] | None, tuple[str, bytes] | None]:
        """The own active key and the peer mailbox's newest key (as `active` and `peer_key`),
        read in one statement: every seal needs both."""
        rows = (await conn.execute(self._sealing_keys, {"peer": peer})).all()
        found = {row.side: (row.key_id, row.public_key) for row in rows}
        return found.get("own"), found.get("peer")

    async def lock(self, conn: AsyncConnection) -> None:
        """Until this transaction ends, no other one (another replica starting, the rotate
        command) can make or promote this mailbox's keys: replicas starting together make
        one key, not one each."""
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                           {"name": f"mailbox_keys:{self.mailbox}"})

    async def rotate(self, conn: AsyncConnection) -> tuple[str, bytes]:
        """Add a new key pair and promote it; older keys are retired but kept for reading."""
        await self.lock(conn)
        key_id = f"{self.mailbox}-{uuid7()}"
        private = sealing.generate_private_key()
        public = sealing.public_bytes(private)
        await conn.execute(update(self._own).where(self._own.c.state == "active")
                           .values(state="retired"))
        await conn.execute(self._own.insert().values(
            key_id=key_id, public_key=public, state="active", created_at=datetime.now(UTC),
            wrapped_private_key=self._wrapper.wrap(key_id, private)))
        self._private_cache[key_id] = private
        return key_id, public

    async def rewrap_all(self, conn: AsyncConnection) -> int:
        """Wrap every private key not wrapped by the current KEK version with it (after a KEK
        rotation; then the previous KEK can be dropped). Returns how many were re-wrapped."""
        await self.lock(conn)
        rows = (await conn.execute(select(self._own.c.key_id, self._own.c.wrapped_private_key)
                                   .with_for_update())).all()
        stale = [r for r in rows if self._wrapper.needs_rewrap(r.wrapped_private_key)]
        for row in stale:
            await conn.execute(update(self._own).where(self._own.c.key_id == row.key_id).values(
                wrapped_private_key=self._wrapper.rewrap(row.key_id, row.wrapped_private_key)))
        return len(stale)

    async def kek_versions(self, conn: AsyncConnection) -> dict[str, int]:
        """How many private keys each KEK version wraps ("unversioned": before versions)."""
        counts: dict[str, int] = {}
        for wrapped in (await conn.execute(select(self._own.c.wrapped_private_key))).scalars():
            version = self._wrapper.version_of(wrapped) or "unversioned"
            counts[version] = counts.get(version, 0) + 1
        return counts

    async def private_key(self, conn: AsyncConnection, key_id: str) -> bytes:
        if key_id not in self._private_cache:
            wrapped = (await conn.execute(select(self._own.c.wrapped_private_key)
                                          .where(self._own.c.key_id == key_id))).scalar_one_or_none()
            if wrapped is None:
                raise sealing.SealError(f"no private key {key_id} in mailbox {self.mailbox}")
            self._private_cache[key_id] = self._wrapper.unwrap(key_id, wrapped)
        return self._private_cache[key_id]

    async def open(self, conn: AsyncConnection, sealed: sealing.Sealed,
                   binding: sealing.Binding) -> bytes:
        return sealing.open_sealed(sealed, private_key=await self.private_key(conn, sealed.key_id),
                                   binding=binding)

    async def key_count(self, conn: AsyncConnection) -> int:
        """How many key pairs this mailbox has made (keys are never deleted): the version
        number of the newest one."""
        return (await conn.execute(select(func.count()).select_from(self._own))).scalar_one()

    async def remember_peer_key(self, conn: AsyncConnection, mailbox: str, key_id: str,
                                public_key: bytes, published_at: datetime,
                                version: int | None = None) -> None:
        exists = (await conn.execute(select(self._peer.c.key_id).where(
            self._peer.c.mailbox == mailbox, self._peer.c.key_id == key_id))).first()
        if not exists:
            await conn.execute(self._peer.insert().values(
                mailbox=mailbox, key_id=key_id, public_key=public_key, published_at=published_at,
                version=version))

    async def peer_key_version(self, conn: AsyncConnection, mailbox: str,
                               key_id: str | None = None) -> int | None:
        """The highest version known of a peer's keys (or of one key id), None if none."""
        query = select(func.max(self._peer.c.version)).where(self._peer.c.mailbox == mailbox)
        if key_id is not None:
            query = query.where(self._peer.c.key_id == key_id)
        return (await conn.execute(query)).scalar_one_or_none()

    async def peer_key(self, conn: AsyncConnection, mailbox: str) -> tuple[str, bytes] | None:
        """The peer mailbox's key with the highest announced version, or None if none has
        arrived yet (rows from before versions only when there is nothing newer)."""
        row = (await conn.execute(
            select(self._peer.c.key_id, self._peer.c.public_key)
            .where(self._peer.c.mailbox == mailbox)
            .order_by(self._peer.c.version.desc().nulls_last(),
                      self._peer.c.published_at.desc()).limit(1))).first()
        return (row.key_id, row.public_key) if row else None


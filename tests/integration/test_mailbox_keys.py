"""Mailbox keys on a real PostgreSQL (the patient schema migrated into a private schema):
replicas starting together make one key; the rotate command promotes a new key that new
items are sealed to while old items still open; a KEK rotation keeps every key readable and
`rewrap` moves them to the new KEK; production refuses development KEKs."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
from sqlalchemy import func, select

from services.messaging import keytool
from services.messaging.keys import AnnouncementSigner, ensure_active_key
from services.messaging.patient import tables
from services.messaging.patient.bootstrap import SPEC
from services.messaging.patient.migrations import MIGRATIONS
from services.messaging.patient.settings import PatientMailboxSettings
from shared.crypto import sealing
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.events import Source
from shared.outbox import Outbox

SIGNING_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()  # signs key announcements

pytestmark = pytest.mark.integration

BINDING = sealing.Binding(message_id="m1", conversation_id="c1", recipient="patient:p1")


def keyring(wrapper: KeyWrapper) -> Keyring:
    return Keyring("patient", tables.mailbox_keys, tables.peer_keys, wrapper)


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@pytest.fixture
async def engine(fresh_schema):
    engine = await fresh_schema("keys")
    await MIGRATIONS.upgrade(engine)
    return engine


async def count(engine, table) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_replicas_starting_together_make_one_key(engine) -> None:
    wrapper = KeyWrapper(os.urandom(32))
    outbox = Outbox(tables.outbox_table, channel="it_keys_outbox")
    source = Source(service="patient-mailbox", region="stockholm")
    made = await asyncio.gather(*(ensure_active_key(
        engine, keyring(wrapper), outbox, mailbox="patient", topic="it-keys", source=source,
        signer=AnnouncementSigner(SIGNING_KEY))
        for _ in range(6)))  # six replicas, each with its own keyring
    assert len(set(made)) == 1
    assert await count(engine, tables.mailbox_keys) == 1
    assert await count(engine, tables.outbox_table) == 1  # one announcement


async def test_rotation_keeps_old_items_readable_and_seals_new_ones_to_the_new_key(
        engine) -> None:
    kek = os.urandom(32)
    settings = PatientMailboxSettings(environment="test", key_encryption_key=b64(kek),
                                      announcement_signing_key=SIGNING_KEY)
    box = keytool.Mailbox(SPEC, settings)
    ring = box.keyring()
    first = await keytool.rotate(engine, box, ring)
    async with engine.connect() as conn:
        active = await ring.active(conn)
    assert active is not None and active[0] == first
    old = sealing.seal(b"before rotation", public_key=active[1], key_id=first, binding=BINDING)

    second = await keytool.rotate(engine, box, box.keyring())
    fresh = box.keyring()  # another process: nothing cached
    async with engine.connect() as conn:
        key_id, public = await fresh.active(conn)
        new = sealing.seal(b"after rotation", public_key=public, key_id=key_id, binding=BINDING)
        assert key_id == second != first
        assert await fresh.open(conn, old, BINDING) == b"before rotation"
        assert await fresh.open(conn, new, BINDING) == b"after rotation"
        announced = (await conn.execute(select(tables.outbox_table.c.key))).scalars().all()
    assert sorted(announced) == sorted([first, second])
    with pytest.raises(Exception):  # noqa: B017 - the old private key cannot open the new
        sealing.open_sealed(new, private_key=await _private(engine, fresh, first),
                            binding=BINDING)


async def _private(engine, ring: Keyring, key_id: str) -> bytes:
    async with engine.connect() as conn:
        return await ring.private_key(conn, key_id)


async def test_kek_rotation_reads_old_wraps_and_rewrap_moves_them(engine) -> None:
    old_kek, new_kek = os.urandom(32), os.urandom(32)
    ring = keyring(KeyWrapper(old_kek, "1"))
    async with engine.begin() as conn:
        key_id, public = await ring.rotate(conn)
    sealed = sealing.seal(b"sealed under KEK 1", public_key=public, key_id=key_id,
                          binding=BINDING)
    settings = PatientMailboxSettings(
        announcement_signing_key=SIGNING_KEY,
        environment="test", key_encryption_key=b64(new_kek), key_encryption_key_version="2",
        previous_key_encryption_keys=f"1={b64(old_kek)}")
    both = keytool.Mailbox(SPEC, settings).keyring()
    async with engine.connect() as conn:
        assert await both.open(conn, sealed, BINDING) == b"sealed under KEK 1"
        assert await both.kek_versions(conn) == {"1": 1}
        assert "new active key" not in await keytool.status(engine, both)
    assert await keytool.rewrap(engine, both) == 1
    assert await keytool.rewrap(engine, both) == 0  # nothing left to move
    only_new = keyring(KeyWrapper(new_kek, "2"))  # the old KEK is gone
    async with engine.connect() as conn:
        assert await only_new.open(conn, sealed, BINDING) == b"sealed under KEK 1"
        assert await only_new.kek_versions(conn) == {"2": 1}


async def test_sealing_keys_are_the_active_and_the_newest_peer_key_in_one_read(engine) -> None:
    from datetime import UTC, datetime, timedelta

    ring = keyring(KeyWrapper(os.urandom(32)))
    now = datetime.now(UTC)

    async def both() -> tuple:
        async with engine.connect() as conn:
            return (await ring.sealing_keys(conn, "careunit"),
                    (await ring.active(conn), await ring.peer_key(conn, "careunit")))

    assert (await both())[0] == (None, None)
    async with engine.begin() as conn:
        first = await ring.rotate(conn)
        # A legacy key without a version (newest by clock) loses to any announced version;
        # another mailbox's key is never picked.
        await ring.remember_peer_key(conn, "careunit", "c-old", b"old", now, version=None)
        await ring.remember_peer_key(conn, "careunit", "c-2", b"two", now - timedelta(1), 2)
        await ring.remember_peer_key(conn, "careunit", "c-1", b"one", now, version=1)
        await ring.remember_peer_key(conn, "careunit@south", "s-9", b"nine", now, version=9)
    one_read, two_reads = await both()
    assert one_read == two_reads == (first, ("c-2", b"two"))
    async with engine.begin() as conn:
        second = await ring.rotate(conn)
    one_read, two_reads = await both()
    assert one_read == two_reads == (second, ("c-2", b"two")) and second != first

"""The care unit's two races on a real PostgreSQL (the care-unit schema migrated into a
private schema of the scratch database):

1. Two administrators assign the same message at once: one wins, the other gets a 409
   naming who has it, and exactly one MessageAssigned is written.
2. An administrator assigns a message to a clinician while someone marks that clinician
   away: whichever commits first, no message ends up held by a clinician who is away."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.messaging.careunit import commands, tables
from services.messaging.careunit.migrations import MIGRATIONS
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.errors import CommandError
from shared.events import Source
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

UNIT = "SE2321000016-CONC"


def staff(subject: str, *roles: str) -> Principal:
    return Principal(subject=subject, kind="staff", loa=3, units={UNIT: list(roles)})


@pytest.fixture
async def box(fresh_schema) -> MailboxContext:
    engine = await fresh_schema("careunit")
    await MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        for staff_id in ("doc", "nurse"):
            await conn.execute(tables.staff_members.insert().values(
                staff_id=staff_id, care_unit_id=UNIT, profession=staff_id,
                roles=["clinician"]))
    return MailboxContext(
        engine=engine,
        keyring=Keyring("careunit", tables.mailbox_keys, tables.peer_keys,
                        KeyWrapper(os.urandom(32))),
        outbox=Outbox(tables.outbox_table, channel="it_careunit_outbox"),
        source=Source(service="careunit-mailbox", region="stockholm"))


async def new_message(box: MailboxContext) -> tuple[str, str]:
    message_id, conversation_id, now = str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC)
    async with box.engine.begin() as conn:
        await conn.execute(tables.unit_messages.insert().values(
            message_id=message_id, conversation_id=conversation_id, care_unit_id=UNIT,
            patient_id="p", service_type="renew_prescription", status="unassigned",
            submitted_at=now, received_at=now, last_activity_at=now, sealed_key_id="k",
            sealed_ciphertext=b"sealed"))
    return message_id, conversation_id


async def events(box: MailboxContext, key: str, event_type: str) -> int:
    async with box.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(tables.outbox_table).where(
            tables.outbox_table.c.key == key,
            tables.outbox_table.c.event_type.like(f"{event_type}%")))).scalar_one()


async def outcome(coro) -> str | CommandError:
    try:
        await coro
        return "ok"
    except CommandError as exc:
        return exc


async def test_two_administrators_assigning_at_once_one_wins_the_other_hears_who(box):
    first, second = staff("admin-1", "message_administrator"), \
        staff("admin-2", "message_administrator")
    for _ in range(10):
        message_id, conversation_id = await new_message(box)
        results = await asyncio.gather(
            outcome(commands.assign(box, first, message_id, clinician_id="doc")),
            outcome(commands.assign(box, second, message_id, clinician_id="nurse")))
        assert sorted(r == "ok" for r in results) == [False, True], results
        winner = "doc" if results[0] == "ok" else "nurse"
        loser = next(r for r in results if r != "ok")
        assert loser.status == 409 and f"clinician {winner}" in loser.reason
        async with box.engine.connect() as conn:
            held = (await conn.execute(select(tables.unit_messages.c.assigned_to).where(
                tables.unit_messages.c.message_id == message_id))).scalar_one()
        assert held == winner
        assert await events(box, conversation_id, "messaging.message_assigned") == 1


async def test_assigning_while_the_clinician_is_marked_away_never_leaves_it_with_them(box):
    admin, other = staff("admin-1", "message_administrator"), \
        staff("admin-2", "message_administrator")
    seen = set()
    for _ in range(15):
        message_id, conversation_id = await new_message(box)
        assigned, _away = await asyncio.gather(
            outcome(commands.assign(box, admin, message_id, clinician_id="doc")),
            outcome(commands.set_away(box, other, UNIT, "doc", True)))
        assert _away == "ok"
        async with box.engine.connect() as conn:
            row = (await conn.execute(select(tables.unit_messages).where(
                tables.unit_messages.c.message_id == message_id))).one()
        assert (row.status, row.assigned_to) == ("unassigned", None)
        if assigned == "ok":  # assigned first, then swept back to the pool, on record
            seen.add("swept")
            assert await events(box, conversation_id, "messaging.message_taken_back") == 1
        else:
            seen.add("refused")
            assert assigned.status == 409 and "away" in assigned.reason
        await commands.set_away(box, other, UNIT, "doc", False)
    print(f"\naway race outcomes seen: {sorted(seen)}")

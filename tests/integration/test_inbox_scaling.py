"""Listing a unit's inbox costs the same at 1,000 and at 100,000 messages in the unit
(within 1.5x), on a real PostgreSQL: keyset pages over the (unit, received_at, message_id)
indexes, never OFFSET or a count of everything. Both units live in one table, as they
would in a region's care-unit database."""

from __future__ import annotations

import os
import statistics
import time

import pytest
from sqlalchemy import text

from bench.listing import FILL
from services.messaging.careunit import queries, tables
from services.messaging.careunit.migrations import MIGRATIONS
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.events import Source
from shared.outbox import Outbox

pytestmark = pytest.mark.integration

SIZES = {"SE2321000016-SMALL": 1_000, "SE2321000016-LARGE": 100_000}


async def paired_medians_ms(small, large, rounds: int = 31) -> tuple[float, float]:
    """Alternating the two calls, so load from other work on the machine hits both alike."""
    await small()
    await large()  # warm the cache and the plan
    times: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(rounds):
        for side, call in enumerate((small, large)):
            start = time.perf_counter()
            await call()
            times[side].append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


async def test_inbox_listing_is_flat_from_1k_to_100k(fresh_schema):
    engine = await fresh_schema("scaling")
    await MIGRATIONS.upgrade(engine)
    async with engine.begin() as conn:
        for unit, n in SIZES.items():
            await conn.execute(text(FILL), {"unit": unit, "n": n})
        await conn.execute(text("ANALYZE unit_messages"))
    box = MailboxContext(engine=engine, keyring=Keyring(
        "careunit", tables.mailbox_keys, tables.peer_keys, KeyWrapper(os.urandom(32))),
        outbox=Outbox(tables.outbox_table, channel="it_scaling"),
        source=Source(service="careunit-mailbox", region="stockholm"))
    calls = {}
    for unit in SIZES:
        admin = Principal(subject="admin", kind="staff", loa=3,
                          units={unit: ["message_administrator"]})

        async def page(view="all", after=None, unit=unit, admin=admin):
            return await queries.list_messages(box, admin, unit, view=view, group=None,
                                               limit=50, after=after)

        async def overview(unit=unit, admin=admin):
            return await queries.unanswered(box, admin, unit, limit=50, after=None)
        deep = (await page())["next"]
        for _ in range(5):  # a few pages in: a cursor costs what the first page costs
            deep = (await page(after=deep))["next"]
        calls[unit] = {"first page": page, "sixth page": lambda p=page, d=deep: p(after=d),
                       "unassigned view": lambda p=page: p(view="unassigned"),
                       "unanswered overview": overview}
    small_calls, large_calls = calls.values()
    report, slow = {}, []
    for name in small_calls:
        small, large = await paired_medians_ms(small_calls[name], large_calls[name])
        report[name] = f"{small:.2f} ms -> {large:.2f} ms ({large / small:.2f}x)"
        # 1.5x, with half a millisecond of slack for timer noise on a shared machine.
        if large > 1.5 * small + 0.5:
            slow.append(name)
    print(f"\ninbox listing, 1,000 -> 100,000 messages in the unit: {report}")
    assert not slow, report

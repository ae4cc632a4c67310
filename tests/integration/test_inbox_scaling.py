"""Listing a unit's inbox does the same work at 1,000 and at 100,000 messages in the unit
(within 1.5x), on a real PostgreSQL: keyset pages over the (unit, received_at, message_id)
indexes, never OFFSET, a sequential scan or a count of everything. Both units live in one
table, as they would in a region's care-unit database.

The work is measured as PostgreSQL counts it, not as time: every statement a listing runs is
explained with ANALYZE and BUFFERS, and its buffers (pages touched) and rows are summed.
Those do not depend on how busy the machine is; the time it takes is the benchmark's
business (`bench/listing.py`)."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import event, text

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


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


async def work_of(engine, call) -> dict[str, int]:
    """Runs `call`, then explains (ANALYZE, BUFFERS) each statement it ran on unit_messages,
    with its parameters: pages touched, rows read from the table and its indexes, and
    sequential scans of it."""
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "unit_messages" in statement:
            statements.append((statement, parameters))
    event.listen(engine.sync_engine, "before_cursor_execute", grab)
    try:
        await call()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", grab)
    assert statements, "the listing ran no statement on unit_messages"
    work = {"buffers": 0, "rows": 0, "seq_scans": 0}
    async with engine.connect() as conn:
        for statement, parameters in statements:
            result = await conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            raw = result.scalar_one()
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            work["buffers"] += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
            for node in _plan_nodes(plan):
                if node.get("Relation Name") == "unit_messages":
                    work["rows"] += node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                    work["seq_scans"] += node["Node Type"] == "Seq Scan"
    return work


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
    report, heavy = {}, []
    for name in small_calls:
        small = await work_of(engine, small_calls[name])
        large = await work_of(engine, large_calls[name])
        report[name] = f"{small} -> {large}"
        # 1.5x, with a few pages of slack: a taller index has a level more to descend.
        if (large["seq_scans"] or large["buffers"] > 1.5 * small["buffers"] + 8
                or large["rows"] > 1.5 * small["rows"] + 8):
            heavy.append(name)
    print(f"\ninbox listing, 1,000 -> 100,000 messages in the unit: {report}")
    assert not heavy, report

    # The measure tells an unbounded listing apart: counting the whole unit is flagged.
    async def counted(unit):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT count(*) FROM unit_messages "
                                    "WHERE care_unit_id = :unit"), {"unit": unit})
    small, large = [await work_of(engine, lambda u=u: counted(u)) for u in SIZES]
    assert large["rows"] > 1.5 * small["rows"] + 8, (small, large)

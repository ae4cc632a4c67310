"""Inbox listing at 1,000, 10,000 and 100,000 messages in one unit, on the benchmark's own
care-unit database (the real schema and indexes, migrated by the service).

The large inboxes are bulk-inserted straight into `unit_messages` (one INSERT ... SELECT
generate_series per unit, the rows shaped like real ones: a quarter each unassigned,
assigned, answered and closed; the sealed body a placeholder, since listing never opens it),
for three units of their own that the rest of the benchmark never touches. The listing runs
the care-unit mailbox's own query code (services.messaging.careunit.queries) as an
administrator of those units: p50/p99 of the first page, a deep page (the 20th, reached by
its cursor) and the unanswered overview. Calls alternate between the sizes so load from
elsewhere on the machine hits all alike."""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from bench.measure import percentiles
from services.messaging.careunit import queries, tables
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.crypto.keyring import Keyring, KeyWrapper
from shared.db import make_engine
from shared.events import Source
from shared.outbox import Outbox

# Fills a care unit's inbox with :n messages in a mix of states (test_inbox_scaling too).
FILL = """
INSERT INTO unit_messages (message_id, conversation_id, care_unit_id, patient_id,
    service_type, status, assigned_to, group_id, submitted_at, received_at, due_at,
    last_activity_at, unread_from_patient, sealed_key_id, sealed_ciphertext)
SELECT :unit || '-' || g, 'c-' || :unit || '-' || g, :unit, 'p' || (g % 500),
    'renew_prescription', (ARRAY['unassigned','assigned','answered','closed'])[1 + g % 4],
    CASE WHEN g % 4 = 1 THEN 'doc' END, NULL,
    now() - make_interval(secs => :n - g), now() - make_interval(secs => :n - g),
    now() + interval '3 days', now(), false, 'k', '\\x00'::bytea
FROM generate_series(1, :n) AS g
"""

SIZES = (1_000, 10_000, 100_000)
ROUNDS, DEEP_PAGE = 101, 20


def unit_of(n: int) -> str:
    return f"SE2321000016-BENCH{n}"


async def listing(database_url: str) -> dict:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            for n in SIZES:
                await conn.execute(text("DELETE FROM unit_messages WHERE care_unit_id = :u"),
                                   {"u": unit_of(n)})
                await conn.execute(text(FILL), {"unit": unit_of(n), "n": n})
            await conn.execute(text("ANALYZE unit_messages"))
        box = MailboxContext(engine=engine, keyring=Keyring(
            "careunit", tables.mailbox_keys, tables.peer_keys, KeyWrapper(os.urandom(32))),
            outbox=Outbox(tables.outbox_table, channel="bench_listing"),
            source=Source(service="careunit-mailbox", region="stockholm"))
        admin = Principal(subject="bench-admin", kind="staff", loa=3,
                          units={unit_of(n): ["message_administrator"] for n in SIZES})
        calls = {n: await _calls(box, admin, unit_of(n)) for n in SIZES}
        times: dict[int, dict[str, list[float]]] = {n: {k: [] for k in calls[n]} for n in SIZES}
        for _ in range(ROUNDS):
            for n in SIZES:
                for name, call in calls[n].items():
                    started = time.perf_counter()
                    await call()
                    times[n][name].append(time.perf_counter() - started)
        out = {str(n): {name: percentiles(v) for name, v in t.items()} for n, t in times.items()}
        small, large = out[str(SIZES[0])], out[str(SIZES[-1])]
        out["p99_ratio_largest_to_smallest"] = {
            name: round(large[name]["p99"] / small[name]["p99"], 2) for name in small}
        return out
    finally:
        await engine.dispose()


async def _calls(box: MailboxContext, admin: Principal, unit: str) -> dict:
    async def page(after=None):
        return await queries.list_messages(box, admin, unit, view="all", group=None,
                                           limit=50, after=after)
    deep = None
    for _ in range(DEEP_PAGE - 1):
        deep = (await page(deep))["next"]
    return {"first page": page, f"page {DEEP_PAGE}": lambda: page(deep),
            "unanswered overview": lambda: queries.unanswered(box, admin, unit, limit=50,
                                                              after=None)}

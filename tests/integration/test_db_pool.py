"""The pool checks a connection before use only when that can matter: one the server closed
(as a restart does) is replaced without failing the caller; one idle for a while is pinged;
one used a moment ago is handed out as it is (no round trip per transaction)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text

from shared import db
from shared.db import PINGS

pytestmark = pytest.mark.integration


def pings(reason: str) -> float:
    return PINGS.labels(reason)._value.get()


async def backend_pid(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT pg_backend_pid()"))


async def test_a_connection_closed_by_the_server_is_replaced_and_a_busy_one_not_pinged(infra):
    url = infra.cfg.database_url("platform", "scratch")
    engine = db.make_engine(url, pool_size=1)
    try:
        first = await backend_pid(engine)
        closed, idle = pings("closed"), pings("idle")
        assert await backend_pid(engine) == first  # reused at once: no check, no ping
        assert (pings("closed"), pings("idle")) == (closed, idle)

        # What a restart does to every pooled connection: the server ends the backend.
        async with await psycopg.AsyncConnection.connect(
                url.replace("+psycopg", ""), autocommit=True) as admin:
            # With a timeout it returns once the backend has ended (not just been signalled),
            # however long that takes on a loaded machine.
            ended = await (await admin.execute("SELECT pg_terminate_backend(%s, 60000)",
                                               (first,))).fetchone()
            assert ended == (True,)
        await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled socket
        assert await backend_pid(engine) != first  # the caller saw no error
        assert pings("closed") == closed + 1
    finally:
        await engine.dispose()


async def test_a_connection_idle_past_the_threshold_is_pinged(infra):
    engine = db.make_engine(infra.cfg.database_url("platform", "scratch"), pool_size=1,
                            ping_idle_after_s=0.1)
    try:
        first = await backend_pid(engine)
        idle = pings("idle")
        await asyncio.sleep(0.2)
        assert await backend_pid(engine) == first  # pinged, found alive, kept
        assert pings("idle") == idle + 1
    finally:
        await engine.dispose()

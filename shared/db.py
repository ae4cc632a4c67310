"""Database engines (SQLAlchemy 2 async + psycopg 3).

Engines are built in a service's lifespan, never at import time. Schema migrations are each
service's Alembic history (shared.migrations.SchemaHistory), applied at start."""

from __future__ import annotations

import select
import time
from typing import Any

import psycopg
from prometheus_client import Counter
from sqlalchemy import event, exc, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# The database is away or busy for a moment: a restart (a lost connection surfaces as
# OperationalError or InterfaceError, as in shared.errors), or no pooled connection free
# within the pool's timeout under load. Whoever meets it waits and tries again: a consumer
# never dead-letters an event for it (a dead letter for a passing reason is a lost message).
DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout, OSError)

PINGS = Counter("db_pool_pings_total",
                "Pooled connections checked before use, by why", ["reason"])


def make_engine(url: str, *, pool_size: int = 10, ping_idle_after_s: float = 5.0) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=10)
    check_on_checkout(engine, ping_idle_after_s)
    return engine


def check_on_checkout(engine: AsyncEngine, ping_idle_after_s: float) -> None:
    """A database restart must fail no request, without a ping round trip per transaction
    (SQLAlchemy's pool_pre_ping: about 8 ms of CPU per workflow). A restarting server closes
    its connections, which leaves their sockets readable while they sit in the pool: such a
    connection is dropped with every older one (a one-syscall check). A connection idle for
    `ping_idle_after_s` is pinged as before, for what leaves no trace on the socket (a server
    or network gone silently)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # a new connection
            return
        if _socket_readable(dbapi_conn):  # closed by the server, or a message it sent
            PINGS.labels("closed").inc()
            raise exc.InvalidatePoolError("pooled connection closed by the server")
        if time.monotonic() - idle_since >= ping_idle_after_s:
            PINGS.labels("idle").inc()
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as error:
                raise exc.InvalidatePoolError("pooled connection failed its ping") from error


def _socket_readable(dbapi_conn: Any) -> bool:
    """An idle connection has nothing to read unless the server hung up (or sent a notice)."""
    try:
        fd = dbapi_conn.driver_connection.fileno()
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):  # closed: certainly unusable
        return True


async def ping(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True

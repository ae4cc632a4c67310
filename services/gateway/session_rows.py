"""Where session rows live: PostgreSQL (shared by every gateway replica) or, for one process
in development and unit tests, memory. Rows hold only hashes, times and sealed blobs; the
store (session.py) seals and opens them. The tables are in tables.py, their history in
migrations/."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.gateway.tables import pending_logins, sessions

SessionRow = tuple[float, float, bytes]  # created_at, last_seen (time.time()), sealed


class Rows(Protocol):
    async def get_session(self, key: str) -> SessionRow | None: ...
    async def put_session(self, key: str, created: float, seen: float, sealed: bytes) -> None: ...
    async def touch_session(self, key: str, seen: float) -> None: ...
    async def delete_session(self, key: str) -> None: ...
    async def put_pending(self, key: str, created: float, sealed: bytes) -> None: ...
    async def take_pending(self, key: str) -> bytes | None: ...
    async def purge(self, sessions_before: float, pending_before: float) -> None: ...
    def lock(self, key: str) -> AbstractAsyncContextManager[None]: ...


class MemoryRows:
    def __init__(self) -> None:
        self._sessions: dict[str, SessionRow] = {}
        self._pending: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get_session(self, key: str) -> SessionRow | None:
        return self._sessions.get(key)

    async def put_session(self, key: str, created: float, seen: float, sealed: bytes) -> None:
        self._sessions[key] = (created, seen, sealed)

    async def touch_session(self, key: str, seen: float) -> None:
        if key in self._sessions:
            created, _, sealed = self._sessions[key]
            self._sessions[key] = (created, seen, sealed)

    async def delete_session(self, key: str) -> None:
        self._sessions.pop(key, None)
        self._locks.pop(key, None)

    async def put_pending(self, key: str, created: float, sealed: bytes) -> None:
        self._pending[key] = (created, sealed)

    async def take_pending(self, key: str) -> bytes | None:
        found = self._pending.pop(key, None)
        return found[1] if found else None

    async def purge(self, sessions_before: float, pending_before: float) -> None:
        self._sessions = {k: v for k, v in self._sessions.items() if v[0] >= sessions_before}
        self._pending = {k: v for k, v in self._pending.items() if v[0] >= pending_before}

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            yield


class PgRows:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get_session(self, key: str) -> SessionRow | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(
                sessions.c.created_at, sessions.c.last_seen, sessions.c.sealed)
                .where(sessions.c.key == key))).first()
        return (row[0], row[1], bytes(row[2])) if row else None

    async def put_session(self, key: str, created: float, seen: float, sealed: bytes) -> None:
        values = {"key": key, "created_at": created, "last_seen": seen, "sealed": sealed}
        statement = pg_insert(sessions).values(**values).on_conflict_do_update(
            index_elements=[sessions.c.key],
            set_={"last_seen": seen, "sealed": sealed, "written_at": func.now()})
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def touch_session(self, key: str, seen: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(sessions).where(sessions.c.key == key)
                               .values(last_seen=seen))

    async def delete_session(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.key == key))

    async def put_pending(self, key: str, created: float, sealed: bytes) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(pending_logins).values(
                key=key, created_at=created, sealed=sealed))

    async def take_pending(self, key: str) -> bytes | None:
        async with self._engine.begin() as conn:
            row = (await conn.execute(delete(pending_logins).where(pending_logins.c.key == key)
                                      .returning(pending_logins.c.sealed))).first()
        return bytes(row[0]) if row else None

    async def purge(self, sessions_before: float, pending_before: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.created_at < sessions_before))
            await conn.execute(delete(pending_logins)
                               .where(pending_logins.c.created_at < pending_before))

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        # A transaction-scoped advisory lock on the row's key, held while a refresh runs:
        # two replicas refreshing one session would otherwise reuse a rotated token.
        async with self._engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                               {"k": key})
            yield

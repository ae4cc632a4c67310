"""Database engines and migrations at start (SQLAlchemy 2 async + psycopg 3).

Engines are built in a service's lifespan, never at import time. Migrations run in a
prestart step under an advisory lock, so replicas starting together apply them once: a
service's Alembic history (shared.migrations.SchemaHistory), or, for services not moved to
Alembic (the gateway's session store), the older ordered list of recorded `Migration`s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


class SchemaHistory(Protocol):
    async def upgrade(self, engine: AsyncEngine, revision: str = "head") -> None: ...


Migrations = Sequence[Migration] | SchemaHistory


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pool_pre_ping: survives a database restart without failing the first request.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


async def migrate(engine: AsyncEngine, migrations: Migrations) -> list[int]:
    """Apply the migrations not yet recorded; returns the (legacy) versions applied now."""
    if not isinstance(migrations, Sequence):
        await migrations.upgrade(engine)
        return []
    applied_now: list[int] = []
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(7342001)"))
        await conn.execute(text(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
            "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"))
        done = set((await conn.execute(text("SELECT version FROM schema_migrations"))).scalars())
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in done:
                continue
            await conn.run_sync(migration.apply)
            await conn.execute(text(
                "INSERT INTO schema_migrations (version, description) VALUES (:v, :d)"),
                {"v": migration.version, "d": migration.description})
            applied_now.append(migration.version)
    return applied_now


async def ping(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True

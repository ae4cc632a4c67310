"""Database engines (SQLAlchemy 2 async + psycopg 3).

Engines are built in a service's lifespan, never at import time. Schema migrations are each
service's Alembic history (shared.migrations.SchemaHistory), applied at start."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # pool_pre_ping: survives a database restart without failing the first request.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


async def ping(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True

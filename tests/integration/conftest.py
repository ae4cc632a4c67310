"""Fixtures for integration tests of the shared library on real PostgreSQL and Kafka."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import create_async_engine

from shared import db
from shared.inbox import define_inbox
from shared.outbox import Outbox, define_outbox

metadata = MetaData()
outbox_table = define_outbox(metadata)
inbox_table = define_inbox(metadata)
effects = Table("effects", metadata,  # stands in for a consumer's state change
                Column("event_id", String(100), primary_key=True),
                Column("applied", Integer, nullable=False))


@pytest.fixture(scope="session")
async def scratch_engine(infra):
    engine = db.make_engine(infra.cfg.database_url("platform", "scratch"))
    async with engine.begin() as conn:  # test tables, no history to keep: made as they are
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def fresh_schema(infra):
    """Factory: an engine on its own new schema of the scratch database, so a test migrates a
    service's tables from nothing without touching anyone else's (unique names, no cleanup)."""
    engines = []

    async def make(prefix: str):
        schema = f"it_{prefix}_{uuid.uuid4().hex[:10]}"
        url = infra.cfg.database_url("platform", "scratch")
        admin = create_async_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
        engine = create_async_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.dispose()


@pytest.fixture
def topic() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"  # unique per test instead of cleanup


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(outbox_table, channel="it_outbox")

"""forms' real store functions on SQLite in a temporary file (aiosqlite), so the API's unit
tests run the same SQL without a PostgreSQL server. Only the outbox is a stand-in: events go
to a plain table of the same database (PostgreSQL's NOTIFY aside), so they appear only when
their transaction commits, as in the real outbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from services.forms import tables
from services.forms.context import FormsContext
from shared.events import Envelope, Source
from shared.outbox import Outbox

_metadata = MetaData()
_events = Table("outbox_events", _metadata,
                Column("seq", Integer, primary_key=True),  # SQLite numbers it
                Column("topic", String(200), nullable=False),
                Column("key", String(200), nullable=False),
                Column("payload", Text, nullable=False))


class TableOutbox(Outbox):
    def __init__(self) -> None:
        super().__init__(_events, channel="unused")

    async def enqueue(self, conn: AsyncConnection, topic: str, key: str, event: Envelope) -> None:
        await conn.execute(_events.insert().values(topic=topic, key=key,
                                                   payload=event.model_dump_json()))


@dataclass
class FormsDatabase:
    path: Path

    def __post_init__(self) -> None:
        engine = create_engine(f"sqlite:///{self.path}")
        tables.metadata.create_all(engine, tables=[tables.forms, tables.form_versions,
                                                   tables.unit_services])
        _metadata.create_all(engine)
        engine.dispose()

    def context(self, canonical_base: str) -> FormsContext:
        # NullPool: TestClient runs each request in its own event loop; a pooled aiosqlite
        # connection would belong to a loop that is gone.
        engine = create_async_engine(f"sqlite+aiosqlite:///{self.path}", poolclass=NullPool)
        return FormsContext(engine=engine, outbox=TableOutbox(),
                            source=Source(service="forms", region="test"),
                            canonical_base=canonical_base)

    @property
    def outbox(self) -> list[Envelope]:
        """Every committed event, in order."""
        engine = create_engine(f"sqlite:///{self.path}")
        with engine.connect() as conn:
            rows = conn.execute(select(_events.c.payload).order_by(_events.c.seq)).scalars()
            found = [Envelope.model_validate_json(payload) for payload in rows]
        engine.dispose()
        return found

    def events(self, wire_type: str | None = None) -> list[Envelope]:
        return [e for e in self.outbox if wire_type in (None, e.type)]

"""Transactional outbox: the state change and the event commit in one transaction; a relay
(shared.outbox_relay) publishes afterwards, woken by LISTEN/NOTIFY (`listen` below): every
enqueue notifies the outbox's channel, and the notification is delivered at commit.

Writing is `Outbox.enqueue` (one event), `Outbox.enqueue_many` (a batch of events in one
statement, in order) and `Outbox.enqueue_sync` (identity's synchronous routes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    literal,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.events.envelope import Envelope
from shared.kafka import encode

log = logging.getLogger(__name__)

# What enqueue_many takes: (topic, key, event) of each event, in the order they are to go out.
Item = tuple[str, str, Envelope]


def define_outbox(metadata: MetaData) -> Table:
    table = Table(
        "outbox", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # Set (with the reason) when the row can never be published; see shared.outbox_relay.
        Column("parked_at", DateTime(timezone=True)),
        Column("park_reason", String(200)),
    )
    Index("outbox_pending", table.c.id, postgresql_where=table.c.published_at.is_(None))
    return table


class Outbox:
    """Writes events into a service's outbox table inside the caller's transaction.

    One statement per event: the row's INSERT wakes the relays itself (`RETURNING
    pg_notify(...)`, evaluated for the inserted row), instead of an INSERT and a `SELECT
    pg_notify` (two round trips). The NOTIFY belongs to the same (sub)transaction as the
    row, so it is delivered at commit exactly when a row is, and a rolled-back savepoint
    takes both away; PostgreSQL folds the identical notifications of one transaction into
    one.

    A batch of events (`enqueue_many`) is one statement too: the same INSERT executed with a
    list of rows, which SQLAlchemy sends as one `INSERT .. SELECT .. FROM (VALUES ..) ORDER BY
    <row number>` from a statement compiled once ("insertmanyvalues" with
    sort_by_parameter_order; `insert().values([...])` would be compiled anew for every batch
    size). The ORDER BY makes PostgreSQL draw the ids in the given order, and the relay
    publishes in id order, so the events go out in the order given."""

    def __init__(self, table: Table, channel: str) -> None:
        self.table = table
        self.channel = channel
        notify = func.pg_notify(literal(channel, String), literal("", String))
        self._insert = table.insert().returning(notify)
        self._insert_many = table.insert().returning(notify, sort_by_parameter_order=True)

    async def enqueue(self, conn: AsyncConnection, topic: str, key: str, event: Envelope) -> None:
        await conn.execute(self._insert, _row(topic, key, event))

    async def enqueue_many(self, conn: AsyncConnection, items: Sequence[Item]) -> None:
        """Every (topic, key, event) of `items` in one statement, their outbox ids (the order
        they are published in) in the order given; nothing for no items."""
        if len(items) == 1:
            await self.enqueue(conn, *items[0])
        elif items:
            await conn.execute(self._insert_many, [_row(*item) for item in items])

    def enqueue_sync(self, conn: Connection, topic: str, key: str, event: Envelope) -> None:
        """The same on a synchronous connection (identity's routes on authlib's side)."""
        conn.execute(self._insert, _row(topic, key, event))


def _row(topic: str, key: str, event: Envelope) -> dict:
    return {"event_id": event.event_id, "topic": topic, "key": key,
            "event_type": event.wire_name, "payload": encode(event)}


def _libpq_dsn(engine: AsyncEngine) -> str:
    """The engine's connection as libpq's key=value string: what SQLAlchemy would pass to
    psycopg, quoted by psycopg (a URL rendered back would spell a space in a socket
    directory's path as "+", which libpq does not read back)."""
    _, params = engine.dialect.create_connect_args(engine.url)
    return make_conninfo(**{k: v for k, v in params.items() if k != "context"})


async def listen_channel(engine: AsyncEngine, channel: str, *,
                         connected: Callable[[], None], notified: Callable[[str], None],
                         lost: Callable[[], None] = lambda: None) -> None:
    """For ever: LISTEN on `channel` and call `notified(payload)` on every NOTIFY (delivered
    when the notifying transaction commits); `connected()` on each (re)connection and
    `lost()` when the connection goes, then reconnect after a second (a database restart).
    Whoever relies on the notifications covers the gaps between `lost` and `connected`."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                    _libpq_dsn(engine), autocommit=True) as conn:
                await conn.execute(f'LISTEN "{channel}"')
                connected()
                async for notice in conn.notifies():
                    notified(notice.payload)
        except (psycopg.OperationalError, OSError) as exc:
            log.info("listener on %s lost (%s)", channel, type(exc).__name__)
        finally:
            lost()
        await asyncio.sleep(1.0)


async def listen(engine: AsyncEngine, channel: str, wake: asyncio.Event) -> None:
    """Sets `wake` on every NOTIFY on `channel`, for ever. It also sets `wake` on each
    (re)connection, so whatever committed while it was away is not left to the fallback poll
    (which covers the time it is away)."""
    await listen_channel(engine, channel, connected=wake.set, notified=lambda _: wake.set())

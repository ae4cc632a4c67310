"""A fetch's events (from one partition or several) applied in one transaction
(shared.inbox.EventConsumer.process_batch): the inbox rows in one insert, then the fresh
events, in their order, either all at once through the consumer's batch handler or one by one
through their own handlers.

A batch handler is for a consumer whose per-event work has a cheaper form for many events
(the audit log appends a batch in a few statements instead of several per event). It must
have the same effect as the per-event handlers applied in order: when the batch's
transaction fails, the consumer applies the events one at a time with those handlers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import logs
from shared.events import Envelope, EventData

Handler = Callable[[AsyncConnection, Envelope, EventData], Awaitable[None]]
BatchHandler = Callable[[AsyncConnection, list[tuple[Envelope, EventData]]], Awaitable[None]]


class Applicable(Protocol):
    """A decoded event with its handler (shared.inbox._Ready)."""

    @property
    def envelope(self) -> Envelope: ...

    @property
    def data(self) -> EventData: ...

    @property
    def handler(self) -> Handler: ...


@functools.cache
def claim_statement(inbox: Table):
    """The inbox rows' insert, built once per table (building and keying it per call cost
    more CPU than PostgreSQL took to run it): rows there already (events applied before) are
    skipped, and the new rows' event ids come back. Given several rows, SQLAlchemy sends it
    as one multi-row INSERT (its "insertmanyvalues")."""
    return insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)


async def apply_in_one_transaction(engine: AsyncEngine, inbox: Table, consumer: str,
                                   ready: Sequence[Applicable],
                                   batch_handler: BatchHandler | None) -> list[str]:
    """Each event's outcome, in order: "applied", or "duplicate" when applied before or
    earlier in this batch. Raises (and nothing is kept) when any handler fails."""
    outcomes: list[str] = []
    fresh: list[Applicable] = []
    async with engine.begin() as conn:
        new_ids = set((await conn.execute(claim_statement(inbox), [
            {"consumer": consumer, "event_id": r.envelope.event_id} for r in ready])).scalars())
        for item in ready:
            if item.envelope.event_id not in new_ids:
                outcomes.append("duplicate")
                continue
            new_ids.discard(item.envelope.event_id)
            fresh.append(item)
            outcomes.append("applied")
        if batch_handler is not None and fresh:
            await batch_handler(conn, [(item.envelope, item.data) for item in fresh])
        else:
            for item in fresh:
                logs.correlation_id.set(str(item.envelope.correlation_id))
                await item.handler(conn, item.envelope, item.data)
    return outcomes

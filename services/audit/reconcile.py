"""Nothing lost: reconciliation against the care-unit mailbox's access log.

Every staff open of a message writes an access-log row in the mailbox's database in the
same transaction as the read, with the event id of its MessageOpened event. This job pages
through that log (GET /internal/v1/access-log, keyset by id, internal key) and makes sure
each row's event is in the audit log. An event missing once the row is older than the
grace period (the consumer normally records it within a second; it may also have failed
and gone to the dead-letter topic) is recorded from the row, marked `recovered`, counted in
`audit_reconciliation_gap` and logged with its event id. The cursor only moves past rows
that are older than the grace period, so a row committed late behind a higher id is still
seen."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from prometheus_client import Counter, Gauge
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.audit import store
from services.audit.domain import AuditEntry
from services.audit.tables import reconciliation, records
from shared.events.contracts import MessageOpened

log = logging.getLogger(__name__)
SOURCE = "careunit-mailbox"
GAP = Gauge("audit_reconciliation_gap",
            "Accesses missing from the audit log found by the last reconciliation pass",
            ["source"])
RECOVERED = Counter("audit_reconciliation_recovered_total",
                    "Access records recovered into the audit log by reconciliation",
                    ["source"])
LAST_PASS = Gauge("audit_reconciliation_last_success_timestamp_seconds",
                  "When the last reconciliation pass completed", ["source"])


class AccessRow(BaseModel):
    id: int
    event_id: UUID
    correlation_id: UUID
    occurred_at: datetime
    care_unit_id: str
    conversation_id: str
    message_id: str
    staff_id: str
    staff_role: str


class AccessPage(BaseModel):
    items: list[AccessRow]
    next_after: int | None


@dataclass
class Reconciler:
    engine: AsyncEngine
    chain: store.Chain
    http: httpx.AsyncClient  # base_url: the care-unit mailbox, internal key in its headers
    page_size: int
    grace: timedelta

    async def run(self, interval_s: float) -> None:
        while True:
            await self.once()
            await asyncio.sleep(interval_s)

    async def once(self) -> int:
        """One pass to the end of the settled log; returns how many records it recovered."""
        recovered = 0
        async with self.engine.connect() as conn:
            after = (await conn.execute(select(reconciliation.c.after_id).where(
                reconciliation.c.source == SOURCE))).scalar() or 0
        while True:
            page = await self._page(after)
            settled = [r for r in page.items
                       if r.occurred_at < datetime.now(UTC) - self.grace]
            if settled:
                recovered += await self._reconcile(settled)
                after = settled[-1].id
            if len(settled) < len(page.items) or page.next_after is None:
                break
        GAP.labels(SOURCE).set(recovered)
        LAST_PASS.labels(SOURCE).set_to_current_time()
        return recovered

    async def _page(self, after: int) -> AccessPage:
        response = await self.http.get("/internal/v1/access-log",
                                       params={"after": after, "limit": self.page_size})
        response.raise_for_status()
        return AccessPage.model_validate(response.json())

    async def _reconcile(self, rows: list[AccessRow]) -> int:
        """Appends the rows whose event the log lacks. Which ones is asked first in one
        query without the chain head's lock, which the consumer holds for its batches: in
        the usual pass nothing is missing and the head is not touched. A row found missing
        may be recorded by the consumer meanwhile; append_entry looks again under the lock."""
        recovered = 0
        async with self.engine.begin() as conn:
            recorded = set((await conn.execute(select(records.c.event_id).where(
                records.c.event_id.in_([row.event_id for row in rows])))).scalars())
            for row in rows:
                if row.event_id in recorded:
                    continue
                entry = await store.append_entry(conn, str(row.event_id), self.chain,
                                                 functools.partial(_entry, row, self.chain))
                if entry is not None:
                    recovered += 1
                    log.warning("access record missing from the audit log: recovered", extra={
                        "event_id": str(row.event_id), "seq": entry.seq, "source": SOURCE})
            await _move_cursor(conn, rows[-1].id)
        RECOVERED.labels(SOURCE).inc(recovered)
        return recovered


def _entry(row: AccessRow, chain: store.Chain, seq: int, now: datetime) -> AuditEntry:
    summary: dict[str, Any] = {
        "conversation_id": row.conversation_id, "message_id": row.message_id,
        "care_unit_id": row.care_unit_id, "staff_id": row.staff_id,
        "staff_role": row.staff_role, "access_log_id": row.id}
    return AuditEntry(
        seq=seq, event_id=str(row.event_id), event_type=MessageOpened.event_type,
        event_version=MessageOpened.event_version, subject=row.conversation_id,
        actor_id=row.staff_id, actor_role="staff", source_service=SOURCE,
        source_region=chain.source.region, correlation_id=str(row.correlation_id),
        occurred_at=row.occurred_at, recorded_at=now, summary=summary, recovered=True)


async def _move_cursor(conn: AsyncConnection, after: int) -> None:
    await conn.execute(insert(reconciliation).values(
        source=SOURCE, after_id=after, updated_at=datetime.now(UTC)).on_conflict_do_update(
        index_elements=[reconciliation.c.source],
        set_={"after_id": after, "updated_at": datetime.now(UTC)}))

"""The care-unit database's own access log: one row per staff open of a message, written in
the transaction of the read (reading.open_thread) with the event id of its MessageOpened
event, and never changed (a trigger refuses UPDATE, DELETE and TRUNCATE).

The audit service reconciles its log against this one through the internal endpoint
GET /internal/v1/access-log?after=<id>&limit=<n> (keyset by id, internal API key), so an
access whose event was lost or failed on the way is still recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.careunit.tables import access_log
from shared.auth import internal_caller
from shared.events import Envelope

router = APIRouter(prefix="/internal/v1")
MAX_PAGE = 1000
_INSERT = access_log.insert()


async def record(conn: AsyncConnection, event: Envelope, unit_id: str, conversation_id: str,
                 message_id: str, staff_id: str, staff_role: str) -> None:
    # The table's own insert, built once (its values as parameters: see cases.py).
    await conn.execute(_INSERT, {
        "event_id": event.event_id, "correlation_id": event.correlation_id,
        "occurred_at": event.occurred_at, "care_unit_id": unit_id,
        "conversation_id": conversation_id, "message_id": message_id, "staff_id": staff_id,
        "staff_role": staff_role})


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
    next_after: int | None  # pass as `after` for the next page; None at the end


@router.get("/access-log", response_model=AccessPage,
            dependencies=[Depends(internal_caller("audit"))])
async def list_access(request: Request, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                      limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500) -> AccessPage:
    async with request.app.state.mailbox.engine.connect() as conn:
        rows = (await conn.execute(select(access_log).where(access_log.c.id > after)
                                   .order_by(access_log.c.id).limit(limit))).all()
    items = [AccessRow.model_validate(r._mapping) for r in rows]
    return AccessPage(items=items, next_after=items[-1].id if len(items) == limit else None)

"""Auditor API: search and count records, and verify the hash chain.

Callers are staff holding the "auditor" role at some unit (a token for audience "audit"), who
see the records of those units only, or operators with their internal credential (every record)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit import queries
from services.audit.checking import verify_log
from services.audit.scope import AuditorDep, auditor
from services.audit.tables import MAX_SEQ

router = APIRouter(prefix="/v1", dependencies=[Depends(auditor)])


class RecordPublic(BaseModel):
    seq: int
    event_id: UUID
    event_type: str
    event_version: int
    subject: str
    actor_id: str
    actor_role: str
    source_service: str
    source_region: str
    correlation_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    summary: dict[str, Any]
    prev_hash: str
    hash: str
    recovered: bool  # recorded by reconciliation from the care-unit access log
    signature: str | None  # Ed25519 over (seq, hash); None before signing began


class RecordPage(BaseModel):
    records: list[RecordPublic]
    next_after_seq: int | None  # pass as after_seq for the next page; None at the end


class VerifyResult(BaseModel):
    ok: bool
    records: int
    checkpoints: int  # signed checkpoints checked (those stored in the database)
    first_broken_seq: int | None
    reason: str | None  # why that record does not fit


Subject = Annotated[str | None, Query(min_length=1, max_length=200)]
EventType = Annotated[str | None, Query(min_length=1, max_length=200)]


def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


@router.get("/records", response_model=RecordPage)
async def list_records(request: Request, who: AuditorDep, subject: Subject = None,
                       event_type: EventType = None,
                       after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> RecordPage:
    async with _engine(request).connect() as conn:
        rows = await queries.find(conn, subject=subject, event_type=event_type,
                                after_seq=after_seq, limit=limit, scope=who.scope)
    page = [RecordPublic.model_validate(row._mapping) for row in rows]
    return RecordPage(records=page, next_after_seq=page[-1].seq if len(page) == limit else None)


@router.get("/records/count")
async def count_records(request: Request, who: AuditorDep, subject: Subject = None,
                        event_type: EventType = None) -> dict[str, int]:
    async with _engine(request).connect() as conn:
        return {"count": await queries.count(conn, subject=subject, event_type=event_type,
                                             scope=who.scope)}


@router.get("/verify", response_model=VerifyResult)
async def verify_chain(request: Request) -> VerifyResult:
    """The same check as `python -m services.audit verify`, over the stored checkpoints."""
    async with _engine(request).connect() as conn:
        result = await verify_log(conn, request.app.state.verify_keys,
                                  batch=request.app.state.verify_batch_size)
    return VerifyResult(**result.__dict__)

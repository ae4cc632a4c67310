"""Operator API: which notifications a conversation caused and how they fared. Never an
address (the table has none) and never a body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier import queries
from shared.auth import internal_caller


class NotificationPublic(BaseModel):
    notification_id: UUID
    recipient_kind: str
    recipient_ref: str
    reason: str
    conversation_id: str
    state: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


router = APIRouter(prefix="/v1", dependencies=[Depends(internal_caller("operator"))])


@router.get("/notifications", response_model=list[NotificationPublic])
async def list_notifications(
    request: Request,
    conversation_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> list[NotificationPublic]:
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as conn:
        rows = await queries.for_conversation(conn, conversation_id)
    return [NotificationPublic.model_validate(row._mapping) for row in rows]

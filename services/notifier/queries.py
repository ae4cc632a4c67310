"""Reading the notification log (for operators)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.tables import notifications as n


async def for_conversation(conn: AsyncConnection, conversation_id: str) -> list[Row]:
    return list((await conn.execute(
        select(n).where(n.c.conversation_id == conversation_id).order_by(n.c.created_at)
    )).all())

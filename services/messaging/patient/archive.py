"""The patient's archive: archiving a conversation moves it out of the inbox and sent lists
into the archive folder (GET /v1/conversations?archived=true); unarchiving moves it back.
Only the patient's own view changes: the unit sees nothing, and a new answer in an
archived conversation still arrives (and is counted as unread there)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from services.messaging.context import MailboxContext
from services.messaging.patient.tables import conversations
from shared.auth import Principal
from shared.errors import CommandError


async def set_archived(box: MailboxContext, patient: Principal, conversation_id: str,
                       archived: bool) -> None:
    c = conversations.c
    async with box.engine.begin() as conn:
        changed = await conn.execute(update(conversations).where(
            c.conversation_id == conversation_id, c.patient_id == patient.subject).values(
            archived_at=datetime.now(UTC) if archived else None))
        if changed.rowcount == 0:
            raise CommandError(404, "no such conversation")

"""Refused staff access, logged: a member of staff asked for a message of a unit (or a case)
they may not see. The refusal rolls the command back, so its access record (AccessDenied)
commits in a transaction of its own through the outbox; the caller still gets the same 404
as for a missing message."""

from __future__ import annotations

from typing import Literal

from services.messaging.careunit.cases import emit
from services.messaging.context import MailboxContext
from shared.auth import Principal
from shared.events.contracts import AccessDenied

Operation = Literal["open", "view", "assign", "reply"]


async def record(box: MailboxContext, staff: Principal, row, operation: Operation) -> None:
    async with box.engine.begin() as conn:
        await emit(box, conn, staff, row.conversation_id, AccessDenied(
            message_id=row.message_id, conversation_id=row.conversation_id,
            care_unit_id=row.care_unit_id, patient_id=row.patient_id,
            staff_id=staff.subject, operation=operation))

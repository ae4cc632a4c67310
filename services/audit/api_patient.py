"""The patient's own access log: which member of staff, at which unit and in which role,
opened their messages, and when; exactly the staff reads recorded for their pseudonym.
Names are not in the audit log: the gateway looks them up in the staff catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.audit import search
from services.audit.tables import MAX_SEQ
from shared.auth import PatientDep

router = APIRouter(prefix="/v1")


class Access(BaseModel):
    seq: int
    occurred_at: datetime
    staff_id: str
    staff_role: str
    care_unit_id: str
    message_id: str
    conversation_id: str


class AccessPage(BaseModel):
    items: list[Access]
    next_after_seq: int | None  # oldest-first paging: the cursor of the next page
    next_before_seq: int | None = None  # newest-first paging (`before_seq`): the next page


@router.get("/me/accesses", response_model=AccessPage)
async def my_accesses(request: Request, patient: PatientDep,
                      after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      newest_first: bool = False,
                      before_seq: Annotated[int | None, Query(
                          ge=1, le=MAX_SEQ, description="with newest_first: below this sequence number")
                      ] = None,
                      ) -> AccessPage:
    async with request.app.state.engine.connect() as conn:
        rows = await search.accesses_of_patient(conn, patient.subject, after_seq=after_seq,
                                                limit=limit, newest_first=newest_first,
                                                before_seq=before_seq)
    items = [Access(seq=r.seq, occurred_at=r.occurred_at, staff_id=r.staff_id,
                    staff_role=r.summary.get("staff_role", ""),
                    care_unit_id=r.summary.get("care_unit_id", ""),
                    message_id=r.message_id, conversation_id=r.conversation_id)
             for r in rows]
    cursor = rows[-1].seq if len(rows) == limit else None
    if newest_first:
        return AccessPage(items=items, next_after_seq=None, next_before_seq=cursor)
    return AccessPage(items=items, next_after_seq=cursor)

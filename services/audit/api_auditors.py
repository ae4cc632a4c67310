"""The auditors' API: search within the units one audits (by patient, staff member, unit
and time), export the results (CSV, FHIR Bundle), and work through the review queue. Every
answer is limited to the caller's units; a unit outside them is refused (403)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from services.audit import exports, reviewing, search
from services.audit.scope import AuditorDep, patient_pseudonym
from services.audit.tables import MAX_SEQ

router = APIRouter(prefix="/v1")
MAX_EXPORT = 10_000
_PNR = re.compile(r"^(\d{6}|\d{8})[-+]?\d{4}$")
Text = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]*$")]
When = Annotated[datetime | None, Query()]


async def _filters(request: Request, who, patient: str | None, staff: str | None,
                   unit: str | None, since: datetime | None,
                   until: datetime | None) -> search.Filters | None:
    """None when the patient named does not exist (an empty result, not an error)."""
    if unit is not None and who.scope is not None and unit not in who.scope:
        raise HTTPException(403, "you do not audit this care unit")
    if since and until and since >= until:
        raise HTTPException(422, "'since' must be before 'until'")
    patient_id = patient
    if patient is not None and _PNR.match(patient.strip()):
        patient_id = await patient_pseudonym(request, patient.strip())
        if patient_id is None:
            return None
    return search.Filters(patient_id=patient_id, staff_id=staff, unit_id=unit,
                          since=since, until=until)


async def _rows(request: Request, who, f: search.Filters | None, after_seq: int,
                limit: int) -> list[tuple[Any, list[str]]]:
    if f is None:
        return []
    async with request.app.state.engine.connect() as conn:
        rows = await search.find(conn, who.scope, f, after_seq=after_seq, limit=limit)
        units = await search.units_of(conn, [r.seq for r in rows], who.scope)
    return [(r, units.get(r.seq, [])) for r in rows]


class Hit(BaseModel):
    seq: int
    event_id: str
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    unit_ids: list[str]
    staff_id: str | None
    patient_id: str | None
    message_id: str | None
    action: str
    outcome: str


class HitPage(BaseModel):
    records: list[Hit]
    next_after_seq: int | None


def _hit(row, units: list[str]) -> Hit:
    event = exports.resource(row, units)
    return Hit(seq=row.seq, event_id=str(row.event_id),
               event_type=f"{row.event_type}.v{row.event_version}",
               occurred_at=row.occurred_at, recorded_at=row.recorded_at, unit_ids=units,
               staff_id=row.staff_id, patient_id=row.patient_id, message_id=row.message_id,
               action=event["action"], outcome=event["outcome"])


@router.get("/search", response_model=HitPage)
async def search_records(request: Request, who: AuditorDep, patient: Text = None,
                         staff: Text = None, unit: Text = None, since: When = None,
                         until: When = None, after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50) -> HitPage:
    f = await _filters(request, who, patient, staff, unit, since, until)
    rows = await _rows(request, who, f, after_seq, limit)
    return HitPage(records=[_hit(r, u) for r, u in rows],
                   next_after_seq=rows[-1][0].seq if len(rows) == limit else None)


@router.get("/search/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "The matching records as CSV."}})
async def export_csv(request: Request, who: AuditorDep, patient: Text = None,
                     staff: Text = None, unit: Text = None, since: When = None,
                     until: When = None) -> Response:
    f = await _filters(request, who, patient, staff, unit, since, until)
    rows = await _rows(request, who, f, 0, MAX_EXPORT)
    return Response(exports.csv_text(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="audit-records.csv"'})


@router.get("/search/export.fhir")
async def export_fhir(request: Request, who: AuditorDep, patient: Text = None,
                      staff: Text = None, unit: Text = None, since: When = None,
                      until: When = None) -> dict[str, Any]:
    f = await _filters(request, who, patient, staff, unit, since, until)
    return exports.bundle(await _rows(request, who, f, 0, MAX_EXPORT))


class ReviewNote(BaseModel):
    note: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f]*$")


@router.get("/reviews")
async def review_queue(request: Request, who: AuditorDep, reviewed: bool = False,
                       after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50,
                       newest_first: bool = False,
                       before_seq: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None) -> dict[str, Any]:
    async with request.app.state.engine.connect() as conn:
        rows = await search.review_queue(conn, who.scope, reviewed=reviewed,
                                         after_seq=after_seq, limit=limit,
                                         newest_first=newest_first, before_seq=before_seq)
    items = [{k: row._mapping[k] for k in (
        "seq", "unit_id", "reasons", "selected_at", "reviewed_at", "reviewer_id", "note",
        "occurred_at", "staff_id", "patient_id", "message_id")} for row in rows]
    cursor = rows[-1].seq if len(rows) == limit else None
    if newest_first:
        return {"items": items, "next_after_seq": None, "next_before_seq": cursor}
    return {"items": items, "next_after_seq": cursor}


@router.post("/reviews/{seq}", status_code=204)
async def mark_reviewed(request: Request, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)], body: ReviewNote,
                        who: AuditorDep) -> None:
    if who.staff_id is None or who.scope is None:
        raise HTTPException(403, "a review is signed by an auditor, not an operator key")
    await reviewing.mark(request.app.state.engine, request.app.state.chain,
                         seq=seq, auditor=who.staff_id, scope=who.scope, note=body.note)

"""Look-ups for the audit pages: staff members' catalogue cards (HSA-id, name, profession) by
pseudonym or HSA-id, for any signed-in person (a patient sees who opened their messages, an
auditor who did what); and, for the audit service only (internal key), a personnummer an
auditor typed resolved to the patient's pseudonym, so the number never enters the log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from services.identity import domain
from services.identity.context import ContextDep
from services.identity.tables import patients, staff
from shared.auth import PrincipalDep, internal_caller

public = APIRouter(tags=["catalogue"])
Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]],
                Field(default_factory=list, max_length=200)]


class CardRequest(BaseModel):
    staff_ids: Ids
    hsa_ids: Ids


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue  # no such pseudonym: simply not found
    return found


@public.post("/v1/staff/cards")
async def staff_cards(body: CardRequest, ctx: ContextDep,
                      _: PrincipalDep) -> list[dict[str, Any]]:
    query = select(staff.c.staff_id, staff.c.hsa_id, staff.c.given_name, staff.c.family_name,
                   staff.c.profession).where(or_(staff.c.staff_id.in_(_uuids(body.staff_ids)),
                                                 staff.c.hsa_id.in_(body.hsa_ids)))
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [{"staff_id": str(r.staff_id), "hsa_id": r.hsa_id,
             "name": f"{r.given_name} {r.family_name}", "profession": r.profession}
            for r in rows]


internal = APIRouter(prefix="/internal/v1/pseudonyms", tags=["internal"],
                     dependencies=[Depends(internal_caller("audit"))])


class PersonnummerQuery(BaseModel):
    personnummer: str = Field(min_length=10, max_length=13)


@internal.post("/patient")
async def patient_pseudonym(body: PersonnummerQuery, ctx: ContextDep) -> dict[str, str]:
    number = domain.normalize_personnummer(body.personnummer)
    if number is None:
        raise HTTPException(422, "not a valid personnummer")
    async with ctx.engine.connect() as conn:
        found = await conn.scalar(select(patients.c.patient_id)
                                  .where(patients.c.personnummer == number))
    if found is None:
        raise HTTPException(404, "no such patient")
    return {"patient_id": str(found)}

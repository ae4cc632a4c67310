"""The administrator's list of the unit's clinicians, marking one away (their unanswered
messages go back to the pools) or back."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway.ui.kit import _l, api, checked_form, render, see_other
from services.gateway.ui.staff.desk import ADMIN, colleagues, desk

router = APIRouter(include_in_schema=False)
SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
PROFESSIONS = {"doctor": _l("Doctor"), "nurse": _l("Nurse"), "psychologist": _l("Psychologist"),
               "psychiatrist": _l("Psychiatrist"), "medical_secretary": _l("Medical secretary")}


@router.get("/staff/clinicians")
async def clinicians(request: Request) -> Response:
    d = await desk(request, ADMIN)
    people = await colleagues(request, d.unit)
    found = await api(request, "careunit", "GET", f"/v1/units/{d.unit}/clinicians") or []
    for c in found:
        c["id"] = c.get("hsa_id") or c.get("staff_id") or ""
        c["name"] = c.get("name") or people.get(c["id"]) or c["id"]
        c["profession_name"] = PROFESSIONS.get(c.get("profession") or "", c.get("profession"))
    return render(request, "staff/clinicians.html", {
        "desk": d, "clinicians": sorted(found, key=lambda c: c["name"]),
        "done": request.query_params.get("done", "")}, title=_l("Clinicians"))


@router.post("/staff/clinicians/{staff_id}/away")
async def away(request: Request, staff_id: str) -> Response:
    form = await checked_form(request)
    if not SAFE_ID.fullmatch(staff_id):
        raise HTTPException(404, "not found")
    d = await desk(request, ADMIN)
    away_now = form.one("away") == "1"
    await api(request, "careunit", "POST", f"/v1/units/{d.unit}/clinicians/{staff_id}/away",
              json={"away": away_now})
    return see_other(f"/staff/clinicians?done={'away' if away_now else 'back'}#c-{staff_id}")

"""The patient's page "Who has read my messages": every time a member of staff opened one of
their messages, with the person's name and profession (from the staff catalogue), the care
unit and the time, newest first, a page at a time (a patient whose message was read
thousands of times still sees the latest reads first). The audit service answers for the
patient's own pseudonym only; strings are in the `auditor` catalog domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.gateway.ui import nav
from services.gateway.ui.auditor_review import staff_cards
from services.gateway.ui.i18n import request_language
from services.gateway.ui.kit import _, _l, api, render, require

router = APIRouter(include_in_schema=False, dependencies=[Depends(request_language)])
nav.PATIENT.append(nav.Link("/access-log", _l("Who has read my messages")))
PAGE = 50  # reads per page, newest first; older ones on the next pages
PROFESSIONS = {"doctor": _l("Doctor"), "nurse": _l("Nurse"), "psychologist": _l("Psychologist"),
               "medical_secretary": _l("Medical secretary"), "auditor": _l("Auditor")}


def profession(code: str | None) -> str:
    return _(PROFESSIONS[code]) if code in PROFESSIONS else (code or "")


@router.get("/access-log")
async def access_log(request: Request,
                     before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    require(request, kind="patient")
    params: dict = {"newest_first": "true", "limit": PAGE}
    if before is not None:
        params["before_seq"] = before
    page = await api(request, "audit", "GET", "/v1/me/accesses", params=params)
    items = page["items"]
    cards = await staff_cards(request, staff_ids=[i["staff_id"] for i in items])
    units = {u["unit_id"]: u["name"] for u in await api(request, "identity", "GET", "/v1/units")}
    rows = []
    for i in items:
        card = cards.get(i["staff_id"])
        rows.append({**i, "name": card["name"] if card else None,
                     "profession": profession(card["profession"] if card else None),
                     "unit": units.get(i["care_unit_id"], i["care_unit_id"])})
    return render(request, "access_log/list.html",
                  {"rows": rows, "before": before, "next_before": page["next_before_seq"]},
                  title=_l("Who has read my messages"))

"""The answer times the unit promises patients, per e-service: the administrator sees the
unit's own setting or the default, and changes it. The patient sees the promise when
writing and on the conversation; the unanswered overview measures against it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway.ui.kit import _, _l, api, checked_form, render, see_other
from services.gateway.ui.staff.desk import ADMIN, Desk, desk
from services.gateway.ui.words import SERVICE_TYPES, service_name

router = APIRouter(include_in_schema=False)
MAX_DAYS = 365  # the care-unit mailbox's own bound


async def _promises(request: Request, d: Desk) -> list[dict[str, Any]]:
    found = await api(request, "careunit", "GET", f"/v1/units/{d.unit}/answer-promises") or []
    for p in found:
        p["service_name"] = service_name(p["service_type"])
    return sorted(found, key=lambda p: p["service_name"])


async def _page(request: Request, d: Desk, *, error: dict | None = None,
                status: int = 200) -> Response:
    return render(request, "staff/promises.html", {
        "desk": d, "promises": await _promises(request, d), "error": error,
        "errors": [error] if error else [], "done": request.query_params.get("done", "")},
        title=_l("Promised answer times"), status=status)


@router.get("/staff/promises")
async def promises(request: Request) -> Response:
    return await _page(request, await desk(request, ADMIN))


@router.post("/staff/promises/{service_type}")
async def set_promise(request: Request, service_type: str) -> Response:
    form = await checked_form(request)
    if service_type not in SERVICE_TYPES:
        raise HTTPException(404, "not found")
    d = await desk(request, ADMIN)
    raw = form.one("days").strip()
    if not raw.isdigit() or not 0 <= int(raw) <= MAX_DAYS:
        return await _page(request, d, status=422, error={
            "service_type": service_type, "anchor": f"days-{service_type}",
            "message": _("Give the answer time for %(service)s as whole days, 0 to 365.")
            % {"service": service_name(service_type)}})
    await api(request, "careunit", "PUT",
              f"/v1/units/{d.unit}/answer-promises/{service_type}", json={"days": int(raw)})
    return see_other(f"/staff/promises?done=promise#p-{service_type}")

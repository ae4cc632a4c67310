"""The unit inbox as a pool (tabs: unassigned, assigned to me, assigned to others,
answered; filters: e-service and group; keyset paging both ways), the clinician's "assigned
to me", and the administrator's overview of unanswered messages by age against the
promised answer time. Listings show metadata only: reading content is a POST (case.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway.ui.kit import _l, api, render
from services.gateway.ui.staff import rows
from services.gateway.ui.staff.desk import ADMIN, Desk, colleagues, desk
from services.gateway.ui.words import SERVICE_TYPES

router = APIRouter(include_in_schema=False)
TABS = {"unassigned": _l("Unassigned"), "mine": _l("Assigned to me"),
        "others": _l("Assigned to others"), "answered": _l("Answered")}
FETCHES_MAX = 5  # API pages read to fill one filtered page


def _tabs(d: Desk) -> list[str]:
    if d.admin:
        return ["unassigned", "mine", "others", "answered"]
    return ["mine", "unassigned", "answered"]  # a clinician's pool: their groups'


async def groups_of(request: Request, unit: str) -> dict[str, str]:
    return {g["group_id"]: g.get("name") or g["group_id"]
            for g in await api(request, "careunit", "GET", f"/v1/units/{unit}/groups") or []}


async def _collect(request: Request, unit: str, params: dict[str, Any],
                   service: str) -> tuple[list[dict[str, Any]], str | None]:
    """One page; with an e-service filter (the API has none) read on until the page is
    full or FETCHES_MAX pages were read, and go on from the last one's cursor."""
    found: list[dict[str, Any]] = []
    nxt = params.get("after")
    for _n in range(FETCHES_MAX if service else 1):
        query = {**params, "after": nxt} if nxt else {k: v for k, v in params.items()
                                                       if k != "after"}
        items, nxt = rows.listing(await api(request, "careunit", "GET",
                                            f"/v1/units/{unit}/messages", params=query))
        found += [m for m in items if not service or m.get("service_type") == service]
        if len(found) >= rows.PAGE_SIZE or not nxt:
            break
    return found, nxt


async def _pool(request: Request, path: str, default_view: str | None = None) -> Response:
    d = await desk(request)
    q = request.query_params
    tabs = _tabs(d)
    view = default_view or (q.get("view", "") if q.get("view") in tabs else tabs[0])
    service = q.get("service", "") if q.get("service") in SERVICE_TYPES else ""
    groups, people = await asyncio.gather(groups_of(request, d.unit),
                                          colleagues(request, d.unit))
    group = q.get("group", "") if q.get("group") in groups else ""
    after, trail = rows.paging_params(q)
    params = {"view": view, "limit": rows.PAGE_SIZE, "after": after,
              **({"group": group} if group else {})}
    items, nxt = await _collect(request, d.unit, params, service)
    filters = {"view": "" if default_view else view, "service": service, "group": group}
    return render(request, "staff/inbox.html", {
        "desk": d, "tabs": [(t, TABS[t]) for t in tabs], "view": view, "here": path,
        "messages": rows.decorate(items, people, groups), "groups": groups,
        "services": SERVICE_TYPES, "service": service, "group": group,
        "paging": rows.Pager(path, filters, after, trail, nxt), "mine_only": bool(default_view),
        "done": q.get("done", "")},
        title=_l("My messages") if default_view else _l("Unit inbox"))


@router.get("/staff/inbox")
async def inbox(request: Request) -> Response:
    return await _pool(request, "/staff/inbox")


@router.get("/staff/mine")
async def mine(request: Request) -> Response:
    return await _pool(request, "/staff/mine", default_view="mine")


@router.get("/staff/unanswered")
async def unanswered(request: Request) -> Response:
    d = await desk(request, ADMIN)
    after, trail = rows.paging_params(request.query_params)
    params = {"limit": rows.PAGE_SIZE, **({"after": after} if after else {})}
    body, groups, people = await asyncio.gather(
        api(request, "careunit", "GET", f"/v1/units/{d.unit}/unanswered", params=params),
        groups_of(request, d.unit), colleagues(request, d.unit))
    items, nxt = rows.listing(body)
    items = rows.decorate(items, people, groups)
    return render(request, "staff/unanswered.html", {
        "desk": d, "messages": items, "overdue": sum(1 for m in items if m.get("overdue")),
        "paging": rows.Pager("/staff/unanswered", {}, after, trail, nxt)},
        title=_l("Unanswered messages"))

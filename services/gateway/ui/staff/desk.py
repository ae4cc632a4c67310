"""Where a member of staff works now: their units with a staff-page role, the unit chosen
(remembered in the session, so it follows them across replicas), their own name and the
unit names (from identity's /v1/me, fetched once per session), and colleagues' names.

The care-unit mailbox keeps ids only; names come from identity's staff catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway.auth import _local_path
from services.gateway.session import SESSION_COOKIE
from services.gateway.ui.kit import (
    ServiceRefused,
    ServiceUnavailable,
    api,
    checked_form,
    require,
    see_other,
)

router = APIRouter(include_in_schema=False)
ADMIN, CLINICIAN = "message_administrator", "clinician"
ROLES = (ADMIN, CLINICIAN)


@dataclass
class Desk:
    unit: str
    roles: list[str]
    units: list[tuple[str, str]]  # (unit id, name) of every unit with a staff-page role
    name: str
    unit_names: dict[str, str] = field(default_factory=dict)

    @property
    def admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def clinician(self) -> bool:
        return CLINICIAN in self.roles

    @property
    def unit_name(self) -> str:
        return self.unit_names.get(self.unit) or self.unit


async def remember(request: Request, **values: Any) -> None:
    """Saves page state in the session row (under the lock every replica respects)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with request.app.state.sessions.locked(cookie) as stored:
            if stored is not None:
                stored.ui.update(values)
    request.state.session.ui.update(values)


async def staff_profile(request: Request) -> dict[str, Any]:
    """The person's name and their units' names, from identity once per session."""
    session = request.state.session
    if "profile" not in session.ui:
        me = await api(request, "identity", "GET", "/v1/me")
        profile = {"name": str(me.get("name") or ""),
                   "units": {u["unit_id"]: u.get("name") or u["unit_id"]
                             for u in me.get("units") or [] if u.get("unit_id")}}
        await remember(request, profile=profile)
    return session.ui["profile"]


async def desk(request: Request, role: str | None = None, unit: str | None = None) -> Desk:
    """The person's desk at `unit` (default: the chosen one); 403 without the role there."""
    session = require(request, kind="staff")
    granted = {u: [r for r in rs if r in ROLES]
               for u, rs in (session.claims.get("units") or {}).items()}
    granted = {u: rs for u, rs in granted.items() if rs and (role is None or role in rs)}
    if not granted:
        raise HTTPException(403, "role needed")
    if unit is None:
        chosen = session.ui.get("unit")
        unit = chosen if isinstance(chosen, str) and chosen in granted else min(granted)
    elif unit not in granted:
        raise HTTPException(403, "no role at this care unit")
    profile = await staff_profile(request)
    names: dict[str, str] = profile.get("units") or {}
    units = sorted(((u, names.get(u) or u) for u in granted), key=lambda p: p[1])
    return Desk(unit=unit, roles=granted[unit], units=units, name=profile.get("name") or "",
                unit_names=names)


async def colleagues(request: Request, unit: str) -> dict[str, str]:
    """Staff id -> name at the unit (empty when the catalogue cannot say: ids are shown,
    and the page still works while identity is slow or down)."""
    try:
        people = await api(request, "identity", "GET", f"/v1/units/{unit}/staff")
    except (ServiceRefused, ServiceUnavailable):
        return {}
    return {p["staff_id"]: p.get("name") or p["staff_id"] for p in people or []
            if p.get("staff_id")}


@router.post("/staff/unit")
async def choose_unit(request: Request) -> Response:
    form = await checked_form(request)
    current = await desk(request, unit=form.one("unit")[:100] or None)
    await remember(request, unit=current.unit)
    return see_other(_local_path(form.one("next")[:500] or "/staff/inbox"))


async def known_unit_names(request: Request) -> None:
    """A page dependency: staff pages that show units by name (the `unit_name` of every
    template) have the session's profile loaded; identity being slow never stops a page."""
    session = getattr(request.state, "session", None)
    if session is not None and session.kind == "staff":
        try:
            await staff_profile(request)
        except (ServiceRefused, ServiceUnavailable):
            pass

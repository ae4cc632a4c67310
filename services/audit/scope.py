"""Who is asking the audit service, and which units they may see: staff see the units where
they hold the "auditor" role (from their token, narrowed to the current staff catalogue by
shared.staff_access); operators with their internal credential see every unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Header, HTTPException, Request

from services.audit.search import Scope
from shared.auth import current_principal, internal_caller

AUDITOR = "auditor"
_operator = internal_caller("operator")  # operators' tools; no other service reads the log


@dataclass(frozen=True)
class Auditor:
    scope: Scope
    staff_id: str | None  # None for an operator


async def auditor(request: Request,
                  x_internal_api_key: Annotated[str | None, Header()] = None) -> Auditor:
    if x_internal_api_key is not None:
        await _operator(request, x_internal_api_key)
        return Auditor(scope=None, staff_id=None)
    principal = await current_principal(request)
    units = frozenset(u for u, roles in principal.units.items() if AUDITOR in roles)
    if principal.kind != "staff" or not units:
        raise HTTPException(403, "auditors only")
    return Auditor(scope=units, staff_id=principal.subject)


AuditorDep = Annotated[Auditor, Depends(auditor)]


async def patient_pseudonym(request: Request, personnummer: str) -> str | None:
    """identity resolves a personnummer an auditor typed to the patient's pseudonym, so the
    number never enters the audit log or the stream."""
    client: httpx.AsyncClient = request.app.state.identity
    try:
        response = await client.post("/internal/v1/pseudonyms/patient",
                                     json={"personnummer": personnummer})
    except httpx.HTTPError as exc:
        raise HTTPException(503, "identity is unavailable") from exc
    if response.status_code == 404:
        return None
    if response.status_code == 422:
        raise HTTPException(422, "not a valid personnummer")
    if response.status_code != 200:
        raise HTTPException(503, "identity could not resolve the personnummer")
    return response.json()["patient_id"]

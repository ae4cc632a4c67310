"""identity's HTTP API: discovery and JWKS, the unit and staff catalogue, the caller's own
profile, and contact look-ups for other services (internal key only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response

from services.identity import queries
from services.identity.context import ContextDep
from services.identity.oidc.discovery import oidc_metadata
from shared.auth import PrincipalDep, StaffDep, internal_caller

public = APIRouter(tags=["catalogue"])
well_known = APIRouter(prefix="/.well-known", tags=["discovery"])


@well_known.get("/jwks.json")
async def jwks(ctx: ContextDep, response: Response) -> dict[str, Any]:
    # Short cache: verifiers refetch anyway when they meet a key id they do not know.
    response.headers["Cache-Control"] = "public, max-age=60"
    async with ctx.engine.connect() as conn:
        return await ctx.keys.jwks(conn)


@well_known.get("/openid-configuration")
async def openid_configuration(ctx: ContextDep) -> dict[str, Any]:
    issuer = ctx.settings.issuer
    return {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["pairwise"],
            **oidc_metadata(issuer, ctx.settings.browser_url)}


@public.get("/v1/units")
async def units(ctx: ContextDep) -> list[dict[str, Any]]:
    async with ctx.engine.connect() as conn:
        return await queries.list_units(conn)


@public.get("/v1/units/{unit_id}/staff")
async def unit_staff(unit_id: str, ctx: ContextDep, who: StaffDep) -> list[dict[str, Any]]:
    """Colleagues at a unit, so a message administrator can pick a clinician."""
    if not who.units.get(unit_id):
        raise HTTPException(403, "no role at this care unit")
    async with ctx.engine.connect() as conn:
        return await queries.unit_staff(conn, unit_id)


@public.get("/v1/me")
async def me(ctx: ContextDep, who: PrincipalDep) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        if who.kind == "patient":
            profile = await queries.patient_profile(conn, who.subject)
        else:
            profile = await queries.staff_profile(conn, who.subject)
    if profile is None:
        raise HTTPException(404, "no such person")
    return {"subject": who.subject, "kind": who.kind, "loa": who.loa, **profile}


internal = APIRouter(prefix="/internal/v1/contacts", tags=["internal"],
                     dependencies=[Depends(internal_caller("notifier"))])


@internal.get("/patients/{patient_id}")
async def patient_contact(patient_id: str, ctx: ContextDep) -> dict[str, Any]:
    """The notifier addresses e-mail through this, so addresses never travel on Kafka. An
    unverified address is not given out (it is None here) and `notify` says what the patient
    wants to hear about."""
    async with ctx.engine.connect() as conn:
        contact = await queries.patient_contact(conn, patient_id)
    if contact is None:
        raise HTTPException(404, "no such patient")
    return contact


@internal.get("/units/{unit_id}")
async def unit_contact(unit_id: str, ctx: ContextDep) -> dict[str, str]:
    async with ctx.engine.connect() as conn:
        email = await queries.unit_email(conn, unit_id)
    if email is None:
        raise HTTPException(404, "no such care unit")
    return {"email": email}

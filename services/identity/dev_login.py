"""Development login: trusts the personnummer or HSA-id it is given and issues tokens.

Mounted only when the environment is development or test (bootstrap decides), so in
production the path does not exist (404). The real e-ID / OIDC login replaces it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.identity import domain, store
from services.identity.context import ContextDep
from shared.auth import LOA_PASSWORD

router = APIRouter(prefix="/v1/dev", tags=["development"])


class DevLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personnummer: str | None = Field(default=None, max_length=13)
    hsa_id: str | None = Field(default=None, min_length=1, max_length=64)
    # 2 simulates the activation-letter password (reduced access); patients only.
    loa: Literal[2, 3] = 3  # LOA_EID

    @field_validator("personnummer")
    @classmethod
    def _personnummer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = domain.normalize_personnummer(value)
        if normalized is None:
            raise ValueError("personnummer must be YYYYMMDDNNNC with a valid check digit")
        return normalized

    @model_validator(mode="after")
    def _exactly_one(self) -> DevLogin:
        if (self.personnummer is None) == (self.hsa_id is None):
            raise ValueError("give exactly one of personnummer or hsa_id")
        if self.hsa_id is not None and self.loa == LOA_PASSWORD:
            raise ValueError("staff log in with strong authentication only")
        return self


class LoginResult(BaseModel):
    subject: str
    kind: domain.Kind
    expires_in: int
    tokens: dict[str, str]


@router.post("/login")
async def dev_login(body: DevLogin, ctx: ContextDep) -> LoginResult:
    async with ctx.engine.connect() as conn:
        if body.personnummer is not None:
            patient_id = await store.patient_by_personnummer(conn, body.personnummer)
            who = domain.patient_subject(patient_id, body.loa) if patient_id else None
        else:
            who = await store.staff_subject_by_hsa_id(conn, body.hsa_id or "")
    if who is None:
        # Same answer for every failure: the login must not reveal who is registered.
        raise HTTPException(401, "login failed")
    tokens = await ctx.tokens.issue_all(who)
    return LoginResult(subject=who.subject, kind=who.kind, expires_in=ctx.tokens.ttl_s,
                       tokens=tokens)

"""HTTP routes of a patient's contact settings:

- `PUT /v1/me/contact` {"email": str | null, "notify": {"answer": bool, "reminder": bool}}:
  the logged-in patient (either level of assurance, as on 1177) saves them; a new address is
  unverified until the link mailed to it is followed.
- `POST /v1/me/contact/verify` {"token"}: marks the address verified (409/422 with a reason
  for a used, expired, superseded or unknown token).
- `GET /internal/v1/contacts/verifications/{id}` (internal key): where the notifier sends the
  verification mail, so the address never travels on Kafka."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.identity.contact import store, tokens
from services.identity.context import ContextDep
from services.identity.patients.accounts import PatientAccounts
from shared.auth import PatientDep, internal_caller


def _address(value: str | None) -> str | None:
    """A deliverable-looking address, normalised; no DNS look-up (closed networks)."""
    if value is None or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address: {exc}") from None


class NotifyChoices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: bool = True
    reminder: bool = True


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str | None, Field(max_length=254), AfterValidator(_address)]
    notify: NotifyChoices = NotifyChoices()


class VerifyToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=tokens.MAX_TOKEN_LENGTH)


router = APIRouter(prefix="/v1/me/contact", tags=["contact"])
internal = APIRouter(prefix="/internal/v1/contacts", tags=["internal"],
                     dependencies=[Depends(internal_caller("notifier"))])


def _accounts(request: Request) -> PatientAccounts:
    return request.app.state.patient_accounts


def _patient_id(subject: str) -> uuid.UUID:
    try:
        return uuid.UUID(subject)
    except ValueError:
        raise HTTPException(404, "no such patient") from None


@router.put("")
async def put_contact(body: ContactUpdate, request: Request, ctx: ContextDep,
                      who: PatientDep) -> dict[str, Any]:
    pid = _patient_id(who.subject)
    async with ctx.engine.begin() as conn:
        notify = store.Notify(answer=body.notify.answer, reminder=body.notify.reminder)
        if not await store.save(conn, _accounts(request), pid, body.email, notify):
            raise HTTPException(404, "no such patient")
        return await store.settings(conn, pid) or {}


@router.post("/verify")
async def verify(body: VerifyToken, request: Request, ctx: ContextDep,
                 who: PatientDep) -> dict[str, Any]:
    pid = _patient_id(who.subject)
    async with ctx.engine.begin() as conn:
        try:
            await store.verify(conn, pid, body.token)
        except tokens.TokenRejected as exc:
            # The transaction rolls back: a rejected token changes nothing.
            raise HTTPException(exc.status, exc.as_dict()) from None
        # The verified address is now given out: the notifier's cached "no address" goes.
        await store.announce_change(conn, _accounts(request), pid)
        return await store.settings(conn, pid) or {}


@internal.get("/verifications/{verification_id}")
async def verification_address(verification_id: uuid.UUID, ctx: ContextDep) -> dict[str, str]:
    async with ctx.engine.connect() as conn:
        email = await store.pending_address(conn, verification_id)
    if email is None:
        raise HTTPException(404, "no open verification")
    return {"email": email}

"""The patient side of identity's HTTP API: ask for an activation letter, and activate with
its code (sets a password). Tokens come only from the OpenID Provider: the patient then logs
in with personnummer + password at /authorize (reduced access, loa 2; oidc/frontdoor.py).
Mounted by bootstrap as one router, together with letters_api (the operators' print
queue); its lifespan builds these parts after identity's own start-up (migrations, keys,
seed) and imports the population register file.

Who may ask for a letter: anyone, for any personnummer, as on 1177. The letter goes only to
the register's address (or via Skatteverket), and the answer is the same whether or not a
letter was made, so the endpoint tells nobody who is registered or who has an account."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.identity import client_address
from services.identity.context import ContextDep, IdentityContext
from services.identity.lockout import ClientThrottled, Policy, throttle
from services.identity.patients import letters_api, personnummer
from services.identity.patients.activation import ActivationFailed, PasswordRejected
from services.identity.patients.letters_api import ActivationDep

log = logging.getLogger(__name__)

LETTER_REQUESTS = Policy(free_failures=50, first_delay=timedelta(seconds=1),
                         max_block=timedelta(hours=1), forget_after=timedelta(hours=1))
ACTIVATION_FAILED = {"code": "activation_failed",
                     "message_sv": "Aktiveringen misslyckades. Kontrollera personnummer och kod; "
                                   "en kod gäller en gång och bara den senast beställda.",
                     "message_en": "Activation failed. Check your personnummer and code; a code "
                                   "works once, and only the latest one ordered."}
LETTER_ACCEPTED = {"status": "accepted",
                   "message_sv": "Om personnumret finns i folkbokföringen skickas ett brev med "
                                 "en aktiveringskod till din folkbokföringsadress.",
                   "message_en": "If the personnummer is in the population register, a letter "
                                 "with an activation code is sent to the registered address."}


def client_ip(request: Request, ctx: IdentityContext) -> str | None:
    """The caller's address (behind the gateway, the one the gateway saw)."""
    return client_address.of(request, ctx.settings.trusted_proxy_networks)


def _number(text: str) -> personnummer.Personnummer:
    try:
        return personnummer.parse(text)
    except personnummer.InvalidPersonnummer as exc:
        raise HTTPException(422, exc.as_dict()) from None


def _throttled(exc: ClientThrottled) -> HTTPException:
    return HTTPException(429, {"code": "too_many_attempts",
                               "message_sv": "För många försök härifrån. Försök igen senare.",
                               "message_en": "Too many attempts from here. Try again later."},
                         headers={"Retry-After": str(exc.retry_after)})


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personnummer: str = Field(min_length=1, max_length=20)


class LetterRequest(_Body):
    pass


class Activate(_Body):
    activation_code: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=1024)


patients = APIRouter(prefix="/v1/patients", tags=["patients"])


@patients.post("/register", status_code=202)
async def request_letter(body: LetterRequest, request: Request, ctx: ContextDep,
                         activation: ActivationDep) -> dict[str, str]:
    number = _number(body.personnummer)
    ip = client_ip(request, ctx)
    try:
        await throttle(ctx.engine, f"letters:{ip}", LETTER_REQUESTS)
    except ClientThrottled as exc:
        raise _throttled(exc) from None
    await activation.request_letter(number)
    return LETTER_ACCEPTED


@patients.post("/activate", status_code=204)
async def activate(body: Activate, request: Request, ctx: ContextDep,
                   activation: ActivationDep) -> Response:
    """Sets the password; no tokens: the patient logs in with it at /authorize."""
    number = _number(body.personnummer)
    try:
        await activation.activate(number, body.activation_code, body.password,
                                  client_ip=client_ip(request, ctx))
    except PasswordRejected as exc:
        raise HTTPException(422, {"code": "password_rejected",
                                  "problems": [p.as_dict() for p in exc.problems]}) from None
    except ActivationFailed:
        raise HTTPException(401, ACTIVATION_FAILED) from None
    except ClientThrottled as exc:
        raise _throttled(exc) from None
    return Response(status_code=204)


router = APIRouter()
router.include_router(patients)
router.include_router(letters_api.router)

"""The OpenID Provider's protocol endpoints, plain `def` routes around authlib (FastAPI runs
them in its thread pool): /token, /revoke (RFC 7009), /userinfo and /logout (RP-initiated
logout). /authorize is the login front door (frontdoor.py)."""

from __future__ import annotations

from typing import Any

import anyio.from_thread
from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.identity.oidc.web import DoorDep, HttpDep, message
from shared.auth import InvalidToken, TokenVerifier

router = APIRouter(tags=["openid"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _repeated(pairs: list[tuple[str, str]]) -> str | None:
    seen: set[str] = set()
    for key, _ in pairs:
        # RFC 6749 §3.2: no parameter twice. `resource` may repeat (RFC 8707); grants.py
        # then answers invalid_target, since each token has one audience.
        if key in seen and key != "resource":
            return key
        seen.add(key)
    return None


def _invalid_request(description: str) -> Response:
    return JSONResponse({"error": "invalid_request", "error_description": description}, 400,
                        headers=NO_STORE)


@router.post("/token")
def token(http: HttpDep, door: DoorDep) -> Response:
    if repeated := _repeated(http.form):
        return _invalid_request(f"'{repeated}' given more than once")
    return door.provider.create_token_response(http)


@router.post("/revoke")
def revoke(http: HttpDep, door: DoorDep) -> Response:
    if repeated := _repeated(http.form):
        return _invalid_request(f"'{repeated}' given more than once")
    return door.provider.create_endpoint_response("revocation", http)


def _bearer_error(error: str, description: str) -> Response:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return JSONResponse({"error": error, "error_description": description}, 401,
                        headers={"WWW-Authenticate": challenge, **NO_STORE})


@router.api_route("/userinfo", methods=["GET", "POST"])
def userinfo(request: Request) -> Response:
    """Claims about the holder of an access token for the `identity` audience."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return _bearer_error("invalid_request", "send an access token as Bearer")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        # The verifier is async (shared with identity's async routes): run it on the loop.
        who = anyio.from_thread.run(verifier.verify, value)
    except InvalidToken:
        return _bearer_error("invalid_token", "the access token is not valid here")
    claims: dict[str, Any] = {"sub": who.subject, "kind": who.kind, "loa": who.loa}
    if who.kind == "staff":
        claims["units"] = who.units
    elif who.listed_unit is not None:
        claims["listed_unit"] = who.listed_unit
    return JSONResponse(claims, headers=NO_STORE)


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request, http: HttpDep, door: DoorDep) -> Response:
    """RP-initiated logout: with an id_token_hint, that login's refresh tokens are revoked."""
    try:
        ending = door.provider.validate_endpoint_request("end_session", http)
    except OAuth2Error as error:
        return message(door, request, "Utloggningen misslyckades",
                       error.description or error.error, 400)
    response = door.provider.create_endpoint_response("end_session", ending)
    return response or message(door, request, "Du är utloggad",
                               "Du har loggat ut från Mina vårdkontakter.", 200)

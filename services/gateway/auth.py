"""Logging in and out through identity: GET /login, GET /callback, POST /logout, and
GET /session (who is logged in, and the CSRF token the web UI sends with changes).

The session cookie is HttpOnly, SameSite=Lax, and Secure except on plain-HTTP loopback."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from services.gateway.oidc_client import LoginError, OidcClient
from services.gateway.session import (
    LOGIN_COOKIE,
    PENDING_TTL_S,
    SESSION_COOKIE,
    Session,
    SessionStore,
)
from services.gateway.settings import GatewaySettings
from services.gateway.ui.i18n import language_of

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _store(request: Request) -> SessionStore:
    return request.app.state.sessions


def _oidc(request: Request) -> OidcClient:
    return request.app.state.oidc


StoreDep = Annotated[SessionStore, Depends(_store)]
OidcDep = Annotated[OidcClient, Depends(_oidc)]


def current_session(request: Request) -> Session | None:
    """The session the request's cookie names (loaded once per request by the middleware)."""
    return getattr(request.state, "session", None)


def _local_path(value: str | None) -> str:
    # Only our own paths: an open redirect after login would be a phishing aid.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _cookie(response: Response, settings: GatewaySettings, name: str, value: str,
            max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")


@router.get("/login")
async def login(request: Request, store: StoreDep, oidc: OidcDep,
                next: str | None = None) -> Response:
    verifier, nonce = oidc.new_secrets()
    state, browser = await store.begin_login(nonce=nonce, verifier=verifier,
                                       next_path=_local_path(next))
    try:
        url = await oidc.authorization_url(state, nonce, verifier, language_of(request))
    except (LoginError, httpx.HTTPError) as exc:  # identity unreachable: say so
        log.warning("login could not start", extra={"reason": type(exc).__name__})
        raise HTTPException(503, "identity is unavailable") from exc
    response = RedirectResponse(url, status_code=302)
    _cookie(response, request.app.state.settings, LOGIN_COOKIE, browser, PENDING_TTL_S)
    return response


@router.get("/callback")
async def callback(request: Request, store: StoreDep, oidc: OidcDep) -> Response:
    params = dict(request.query_params)
    pending = await store.take_login(params.get("state", ""), request.cookies.get(LOGIN_COOKIE))
    if pending is None:
        raise HTTPException(400, "unknown or expired login; start again at /login")
    if "error" in params or "code" not in params:
        return RedirectResponse("/?login=cancelled", status_code=303)
    try:
        session = await oidc.exchange(params["code"], pending)
    except LoginError as exc:
        log.warning("login failed", extra={"reason": str(exc)})
        raise HTTPException(401, "login failed") from exc
    response = RedirectResponse(pending.next_path, status_code=303)
    _cookie(response, request.app.state.settings, SESSION_COOKIE, await store.create(session))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def csrf_ok(request: Request, session: Session, form_token: str | None = None) -> bool:
    presented = form_token or request.headers.get("x-csrf-token") or ""
    return hmac.compare_digest(presented.encode(), session.csrf_token.encode())


@router.post("/logout")
async def logout(request: Request, store: StoreDep, oidc: OidcDep) -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse("/", status_code=303)
    form = dict(parse_qsl((await request.body()).decode(errors="replace")))
    if not csrf_ok(request, session, form.get("csrf_token")):
        raise HTTPException(403, "missing or wrong CSRF token")
    await store.drop(request.cookies.get(SESSION_COOKIE))
    try:
        await oidc.revoke(session)
    except LoginError as exc:  # the session here is gone either way
        log.warning("revocation at identity failed", extra={"reason": str(exc)})
    response = RedirectResponse("/?logged_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session")
async def whoami(request: Request) -> Response:
    session = current_session(request)
    body: dict[str, Any] = {"authenticated": False}
    if session is not None:
        body = {"authenticated": True, "subject": session.subject, "kind": session.kind,
                "loa": session.loa, "csrf_token": session.csrf_token}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})

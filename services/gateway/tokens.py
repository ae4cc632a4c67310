"""The signed-in person's access token for a service, as the gateway's pages and proxy use it.

A cached token is used while fresh; otherwise the session is re-read under the store's lock
(another replica may have refreshed meanwhile) and refreshed at identity, which rotates the
refresh token, and saved again."""

from __future__ import annotations

import time

from fastapi import HTTPException, Request

from services.gateway.oidc_client import EARLY_S, IdentityUnavailable, LoginError
from services.gateway.session import SESSION_COOKIE


class SessionEnded(Exception):
    """The login has ended at identity (revoked, expired): the person must log in again."""


async def access_token(request: Request, audience: str) -> str:
    session = getattr(request.state, "session", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if session is None or not cookie:
        raise SessionEnded("no session")
    cached = session.access.get(audience)
    if cached is not None and cached.expires_at - EARLY_S > time.time():
        return str(cached.value)
    store = request.app.state.sessions
    async with store.locked(cookie) as fresh:
        if fresh is None:
            raise SessionEnded("session gone")
        try:
            token = await request.app.state.oidc.access_token(fresh, audience)
        except LoginError as exc:
            await store.drop(cookie)
            raise SessionEnded(str(exc)) from exc
    request.state.session = fresh
    return token


async def proxy_token(request: Request, audience: str) -> str:
    """For the /api proxy: the same, with the failures as HTTP errors."""
    try:
        return await access_token(request, audience)
    except SessionEnded as exc:
        raise HTTPException(401, "the login has ended; log in again") from exc
    except IdentityUnavailable as exc:  # keep the session: the login may well be fine
        raise HTTPException(503, "identity is unavailable; try again shortly") from exc

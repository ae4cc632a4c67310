"""gateway's /api/<service>/... proxy: API clients bring their own token; the browser's
session gets its access token attached (and its CSRF token checked on changes)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from services.gateway import proxy
from services.gateway.auth import csrf_ok, current_session
from services.gateway.tokens import proxy_token

router = APIRouter()

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The token audience of the service behind each path prefix.
AUDIENCES = {"identity": "identity", "forms": "forms", "patient": "patient-mailbox",
             "careunit": "careunit-mailbox", "audit": "audit"}

@router.api_route("/api/{service}/{path:path}", include_in_schema=False,
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(service: str, path: str, request: Request) -> Response:
    url = proxy.target_url(request.app.state.settings.upstreams(), service, path)
    if url is None:
        raise HTTPException(404, "not found")
    bearer = None
    if "authorization" not in request.headers:  # API clients bring their own token
        bearer = await session_token(request, AUDIENCES[service])
    return await proxy.forward(request.app.state.upstream,
                               request.app.state.settings.upstream_timeout_s, request, service,
                               url, bearer)


async def session_token(request: Request, audience: str) -> str | None:
    """The browser session's access token for the service, or None without a session."""
    session = current_session(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(request, session):
        raise HTTPException(403, "send the session's CSRF token (X-CSRF-Token, from /session)")
    return await proxy_token(request, audience)

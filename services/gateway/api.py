"""gateway's routes: the index page and the /api/<service>/... proxy."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.gateway import proxy
from services.gateway.auth import csrf_ok, current_session
from services.gateway.oidc_client import IdentityUnavailable, LoginError
from services.gateway.session import SESSION_COOKIE
from services.gateway.settings import GatewaySettings

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The token audience of the service behind each path prefix.
AUDIENCES = {"identity": "identity", "forms": "forms", "patient": "patient-mailbox",
             "careunit": "careunit-mailbox", "audit": "audit"}

# Shown on the index page: (path prefix, Swedish description).
DESCRIPTIONS = {
    "identity": "Inloggning, vårdenheter och personalkatalog",
    "forms": "Formulär för e-tjänsterna",
    "patient": "Invånarens inkorg",
    "careunit": "Vårdenhetens inkorg",
    "audit": "Loggning av åtkomst (granskning)",
}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    settings: GatewaySettings = request.app.state.settings
    services = [{"name": name, "description": DESCRIPTIONS[name], "url": url}
                for name, url in settings.upstreams().items()]
    return templates.TemplateResponse(request, "index.html", {
        "services": services, "mailsink_url": settings.mailsink_url,
        "session": current_session(request)})


@router.api_route("/api/{service}/{path:path}", include_in_schema=False,
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(service: str, path: str, request: Request) -> Response:
    url = proxy.target_url(request.app.state.settings.upstreams(), service, path)
    if url is None:
        raise HTTPException(404, "not found")
    bearer = None
    if "authorization" not in request.headers:  # API clients bring their own token
        bearer = await session_token(request, AUDIENCES[service])
    return await proxy.forward(request.app.state.http, request, service, url, bearer)


async def session_token(request: Request, audience: str) -> str | None:
    """The browser session's access token for the service, or None without a session."""
    session = current_session(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(request, session):
        raise HTTPException(403, "send the session's CSRF token (X-CSRF-Token, from /session)")
    try:
        return await request.app.state.oidc.access_token(session, audience)
    except LoginError as exc:
        request.app.state.sessions.drop(request.cookies.get(SESSION_COOKIE))
        raise HTTPException(401, "the login has ended; log in again") from exc
    except IdentityUnavailable as exc:  # keep the session: the login may well be fine
        raise HTTPException(503, "identity is unavailable; try again shortly") from exc

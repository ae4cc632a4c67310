"""gateway's routes: the index page and the /api/<service>/... proxy."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.gateway import proxy
from services.gateway.settings import GatewaySettings

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

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
        "services": services, "mailsink_url": settings.mailsink_url})


@router.api_route("/api/{service}/{path:path}", include_in_schema=False,
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(service: str, path: str, request: Request) -> Response:
    url = proxy.target_url(request.app.state.settings.upstreams(), service, path)
    if url is None:
        raise HTTPException(404, "not found")
    return await proxy.forward(request.app.state.http, request, service, url)

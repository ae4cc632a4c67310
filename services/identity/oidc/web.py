"""Shared plumbing of the provider's routes: reading the request for authlib (before the
sync route runs), the context they depend on, and server-rendered pages with strict headers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, HTTPException, Request, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.eid import EidProvider
from services.identity.oidc.requests import BROWSER_COOKIE
from services.identity.oidc.server import HttpRequest, Provider
from services.identity.oidc.staff_login import DevSecrets
from services.identity.settings import IdentitySettings
from shared.crypto.keyring import KeyWrapper

MAX_FORM_BYTES = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
templates = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")


async def read_http(request: Request) -> HttpRequest:
    """Query and (urlencoded) form pairs, so that plain `def` routes need not await."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            raise HTTPException(413, "request too large")
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "request too large")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and content_type != FORM_TYPE:
            raise HTTPException(415, f"send {FORM_TYPE}")
        try:
            form = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=64)
        except (UnicodeDecodeError, ValueError) as exc:
            raise HTTPException(400, "malformed form body") from exc
    return HttpRequest(method=request.method, url=str(request.url), headers=request.headers,
                       query=list(request.query_params.multi_items()), form=form)


HttpDep = Annotated[HttpRequest, Depends(read_http)]


@dataclass(frozen=True)
class Door:
    """What the provider's routes and login pages need, built once in the lifespan."""

    provider: Provider
    settings: IdentitySettings
    engine: AsyncEngine  # identity's async engine (catalogue reads)
    wrapper: KeyWrapper
    eid: dict[str, EidProvider]
    form_action: str  # CSP: where login forms may lead (self, clients, e-ID broker)
    dev_staff_default: DevSecrets | None = None  # development and test only (seed file)

    @property
    def db(self) -> Engine:
        return self.provider.db

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    @property
    def browser_url(self) -> str:
        """Where browsers reach identity (redirects between its pages use this)."""
        return self.settings.browser_url


def _door(request: Request) -> Door:
    return request.app.state.door


DoorDep = Annotated[Door, Depends(_door)]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def browser_secret(request: Request) -> str | None:
    return request.cookies.get(BROWSER_COOKIE)


def page(door: Door, request: Request, name: str, context: dict[str, Any],
         status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update({
        "Content-Security-Policy": f"default-src 'none'; form-action {door.form_action}; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    })
    return response


def message(door: Door, request: Request, title: str, text: str, status: int,
            again: str | None = None) -> Response:
    return page(door, request, "message.html", {"title": title, "text": text, "again": again},
                status)

"""Pages for everyone: the start page, the language switch, the local mail sink (development
only), and the error pages (HTML for pages, JSON for /api/)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.auth import _local_path
from services.gateway.ui.calls import LoginNeeded, ServiceRefused, ServiceUnavailable
from services.gateway.ui.i18n import LANG_COOKIE, LANGUAGES, _l
from services.gateway.ui.kit import LoginRedirect
from services.gateway.ui.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
YEAR_S = 365 * 24 * 3600

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("You need to log in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("Page not found"),
    409: _l("This could not be done now"),
    413: _l("What you sent is too large"),
    422: _l("The request could not be understood"),
    500: _l("Sorry, something went wrong"),
    503: _l("Sorry, the service is unavailable"),
}


@router.get("/")
async def index(request: Request) -> Response:
    session = getattr(request.state, "session", None)
    if session is not None and session.kind == "patient":
        return RedirectResponse("/start", status_code=303)
    return render(request, "index.html", {
        "logged_out": request.query_params.get("logged_out") == "1",
        "login_cancelled": request.query_params.get("login") == "cancelled"},
        title=_l("Welcome"))


@router.get("/language")
async def language(request: Request, lang: str = "sv", next: str | None = None) -> Response:
    """Remembers the chosen language (a preference cookie, nothing stored server-side)."""
    if lang not in LANGUAGES:
        raise HTTPException(400, "unknown language")
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=YEAR_S, httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies, path="/")
    return response


@router.get("/dev/mail")
async def mail(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.show_mailsink:
        raise HTTPException(404, "not found")
    base = settings.mailsink_url.rstrip("/")
    try:
        answer = await request.app.state.http.get(f"{base}/api/messages", timeout=5)
        if answer.status_code == 404:  # Mailpit (the compose file's sink) has its own API
            answer = await request.app.state.http.get(f"{base}/api/v1/messages", timeout=5)
        answer.raise_for_status()
        messages = _mails(answer.json())
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise ServiceUnavailable("mailsink") from exc
    return render(request, "mail.html", {"messages": messages}, title=_l("E-mail sent (development)"))


def _mails(body: Any) -> list[dict[str, Any]]:
    """The newest 50 mails, from the local sink's list (oldest first) or Mailpit's."""
    if isinstance(body, dict):
        return [{"subject": m.get("Subject", ""), "received_at": m.get("Created"),
                 "rcpt_tos": [t.get("Address", "") for t in m.get("To") or []],
                 "body": m.get("Snippet", "")} for m in body["messages"][:50]]
    return list(reversed(body))[:50]


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/session"))


def error_page(request: Request, status: int, detail: str | None = None,
               shown: str | None = None) -> Response:
    """`detail` (English, for API clients) is never put on a page; `shown` is translated."""
    if _wants_json(request):
        return JSONResponse({"detail": detail or "error"}, status)
    title = ERROR_TITLES.get(status, ERROR_TITLES[500] if status >= 500 else ERROR_TITLES[400])
    return render(request, "error.html", {"status": status, "shown": shown},
                  title=title, status=status)


def install(app) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(LoginRedirect)
    async def to_login(request: Request, exc: LoginRedirect) -> Response:
        if getattr(request.state, "session_status", "") == "idle":  # say why, then log in
            return RedirectResponse("/?idle=1", status_code=303)
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, exc: LoginNeeded) -> Response:
        return RedirectResponse(LoginRedirect(request.url.path).location, status_code=303)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        log.warning("service unavailable", extra={"service": str(exc)})
        return error_page(request, 503)

    @app.exception_handler(ServiceRefused)
    async def refused(request: Request, exc: ServiceRefused) -> Response:
        return error_page(request, min(500, exc.status), exc.message,
                          exc.message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_page(request, 500)

"""Shared plumbing of the provider's routes: reading the request for authlib (before the
sync route runs), the context they depend on, and server-rendered pages (GOV.UK Frontend,
Swedish or English, see i18n.py) with strict headers."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.eid import EidProvider
from services.identity.hash_budget import HashBudget
from services.identity.oidc import i18n
from services.identity.oidc.requests import BROWSER_COOKIE
from services.identity.oidc.server import HttpRequest, Provider
from services.identity.oidc.staff_login import DevSecrets
from services.identity.oidc.staff_throttle import StaffThrottle
from services.identity.settings import IdentitySettings
from shared.crypto.keyring import KeyWrapper

MAX_FORM_BYTES = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
# The language of the page being rendered: the templates' gettext reads it (renders run in
# the thread pool, so a global translation installed per request would leak between them).
_lang: ContextVar[str] = ContextVar("identity_ui_lang", default=i18n.DEFAULT)
env = Environment(loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
                  autoescape=select_autoescape(), extensions=["jinja2.ext.i18n"],
                  trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(_lang.get()).gettext(message),
    lambda singular, plural, n: i18n.translations(_lang.get()).ngettext(singular, plural, n),
    newstyle=True)
# Only this origin's own files: the design system and the page's one script are served here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'")


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
    # Staff logins go to the audit log through the outbox (login_events); set by the wiring,
    # off where a test builds the door over a database without the outbox.
    log_logins: bool = False
    # Shared with the patients' Hasher: one memory budget for all password hashing.
    hash_budget: HashBudget = field(
        default_factory=lambda: HashBudget(256 * 1024, 64 * 1024, wait_s=0.5))
    staff_throttle: StaffThrottle = field(default_factory=StaffThrottle)
    # What time it is for TOTP steps and account locks (tests step it instead of sleeping).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

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


def switch_target(request: Request) -> str | None:
    """Where the language switch leads back to: this page if a GET shows it again (without
    `ui_locales`, which would outrank the choice), else nothing."""
    if request.method != "GET":
        return None
    return local_without_ui_locales(request.url.path, request.query_params.multi_items())


def local_without_ui_locales(path: str, query: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in query if k != "ui_locales"]
    return path + (f"?{urlencode(kept)}" if kept else "")


def page(door: Door, request: Request, name: str, context: dict[str, Any], *, title: str,
         status: int = 200, lang: str | None = None, back: str | None = None) -> Response:
    """The page in the request's language (or `lang`); `title` is a msgid; `back` is where
    the language switch returns to (default: this page, if it is a GET)."""
    lang = lang if lang in i18n.LANGUAGES else i18n.language_of(request)
    token = _lang.set(lang)
    try:
        back = back or switch_target(request)
        other = "en" if lang == "sv" else "sv"
        switch = f"/language?{urlencode({'lang': other, 'next': back or ''})}"
        html = env.get_template(name).render(
            lang=lang, other_lang=other, title=title, switch_href=switch, **context)
    finally:
        _lang.reset(token)
    response = HTMLResponse(html, status_code=status)
    response.headers.update({
        "Content-Security-Policy": CSP.format(form_action=door.form_action),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    })
    if i18n.asked(request):  # the client said the user's language: later pages keep it
        remember_language(door, response, lang)
    return response


def remember_language(door: Door, response: Response, lang: str) -> None:
    response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                        samesite="lax", secure=door.browser_url.startswith("https://"),
                        path="/")


def message(door: Door, request: Request, title: str, text: str, status: int,
            again: str | None = None, reason: str = "", lang: str | None = None) -> Response:
    """A page with one message; `title` and `text` are msgids (`text` may name
    `%(reason)s`, e.g. authlib's English description), `again` restarts the login."""
    back = None
    if again:
        parts = urlsplit(again)
        back = local_without_ui_locales(parts.path, parse_qsl(parts.query))
    return page(door, request, "message.html", {"text": text, "again": again, "reason": reason},
                title=title, status=status, back=back, lang=lang)

"""Rendering a page: the one Jinja2 environment (autoescape, i18n extension), the base
layout's context (language, session, navigation, CSRF token, idle-timeout warning) and the
page title "<page> – Mina vårdkontakter"."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.gateway.ui import i18n, nav

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SWEDEN = ZoneInfo("Europe/Stockholm")
WARN_BEFORE_S = 2 * 60  # the idle warning appears this long before the session ends

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                  extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _local_time(value: Any, with_date: bool = True) -> str:
    """An ISO timestamp (or epoch seconds) as Swedish local time."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    local = moment.astimezone(SWEDEN)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


env.filters["local_time"] = _local_time
# The CSRF token of the page being rendered, for the csrf() macro: Jinja2 imports macros
# without the page's context, so a macro cannot see `csrf_token` itself.
_csrf: ContextVar[str] = ContextVar("ui_csrf", default="")
env.globals["request_csrf_token"] = _csrf.get


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           title: str, status: int = 200, headers: dict[str, str] | None = None,
           lang: str | None = None) -> HTMLResponse:
    """The page in the request's language (or `lang`, e.g. a form preview in the other
    language, so the page never mixes them); `title` is a msgid (translated here)."""
    lang = lang if lang in i18n.LANGUAGES else i18n.language_of(request)
    token = i18n.current.set(lang)
    chrome = _chrome(request, lang, title)
    csrf = _csrf.set(chrome["csrf_token"])
    try:
        html = env.get_template(template).render(**chrome, **(context or {}))
    finally:
        _csrf.reset(csrf)
        i18n.current.reset(token)
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _chrome(request: Request, lang: str, title: str) -> dict[str, Any]:
    session = getattr(request.state, "session", None)
    settings = request.app.state.settings
    ends_at = None
    if session is not None:
        ends_at = min(session.last_seen + settings.session_idle_s,
                      session.created_at + settings.session_max_s)
    return {
        "lang": lang, "other_lang": "en" if lang == "sv" else "sv",
        "page_title": i18n._(title), "session": session,
        "csrf_token": session.csrf_token if session else "",
        "nav_links": nav.links(session), "path": request.url.path,
        "next_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "idle_minutes": settings.session_idle_s // 60,
        "session_ends_at": ends_at, "warn_at": ends_at - WARN_BEFORE_S if ends_at else None,
        "now": time.time(),
        "logged_out_idle": session is None and (
            getattr(request.state, "session_status", "") == "idle"
            or request.query_params.get("idle") == "1"),
        "show_mailsink": settings.show_mailsink,
        "unit_name": _unit_namer(session),
    }


def _unit_namer(session: Any) -> Callable[[str], str]:
    """A care unit's name as the staff catalogue gives it (loaded by
    staff.desk.known_unit_names), else its HSA-id."""
    profile = (session.ui.get("profile") or {}) if session is not None else {}
    names: dict[str, str] = profile.get("units") or {}
    return lambda unit_id: names.get(unit_id) or unit_id

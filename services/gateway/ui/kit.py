"""What a page module needs, in one import (see the package docstring for an example)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException, Request

from services.gateway.session import Session
from services.gateway.ui.calls import LoginNeeded, ServiceRefused, ServiceUnavailable, api
from services.gateway.ui.forms import FormData, checked_form, see_other
from services.gateway.ui.i18n import _, _l
from services.gateway.ui.templating import render

__all__ = ["FormData", "LoginNeeded", "ServiceRefused", "ServiceUnavailable", "_", "_l", "api",
           "checked_form", "render", "require", "see_other"]


class LoginRedirect(Exception):
    """Not logged in: the handler sends the browser to /login, back here afterwards."""

    def __init__(self, next_path: str) -> None:
        self.location = f"/login?next={quote(next_path, safe='/')}"


def require(request: Request, *, kind: str | None = None, role: str | None = None,
            loa: int = 0) -> Session:
    """The session, if the person may see the page; else to the login or a 403 page."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise LoginRedirect(request.url.path)
    if kind is not None and session.kind != kind:
        raise HTTPException(403, "not for this kind of user")
    if role is not None:
        units = session.claims.get("units") or {}
        if not any(role in roles for roles in units.values()):
            raise HTTPException(403, "role needed")
    if session.loa < loa:
        raise HTTPException(403, "stronger login needed")
    return session

"""Reading a submitted HTML form with its CSRF token checked (every change is a POST with
the session's token in a hidden field), and the POST-redirect-GET answer."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse

from services.gateway.auth import csrf_ok

MAX_FIELDS = 500


class FormData(dict[str, list[str]]):
    def one(self, name: str, default: str = "") -> str:
        return (self.get(name) or [default])[0]


async def checked_form(request: Request) -> FormData:
    """The urlencoded form of a POST from a logged-in page; 403 without the right token."""
    session = getattr(request.state, "session", None)
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = FormData(parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FIELDS))
    if session is None or not csrf_ok(request, session, fields.one("csrf_token") or None):
        raise HTTPException(403, "missing or wrong CSRF token")
    return fields


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)

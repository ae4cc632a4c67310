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


async def checked_form_with_files(request: Request, max_files: int
                                  ) -> tuple[FormData, list[tuple[str, bytes]]]:
    """A form that may carry files (multipart, bounded by the gateway's upload cap for its
    route): its fields and the (name, bytes) of each chosen file. A urlencoded form (the
    same page without a file chosen, in some browsers) has no files."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await checked_form(request), []
    session = getattr(request.state, "session", None)
    # Starlette answers a malformed body or one with too many files or fields with 400.
    parsed = await request.form(max_files=max_files, max_fields=MAX_FIELDS)
    fields, files = FormData(), []
    for name, value in parsed.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
        elif value.filename:  # an empty file input sends a part without a name
            files.append((value.filename, await value.read()))
    if session is None or not csrf_ok(request, session, fields.one("csrf_token") or None):
        raise HTTPException(403, "missing or wrong CSRF token")
    return fields, files


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)

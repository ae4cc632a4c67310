"""Calling a service from a page, with the signed-in person's own access token.

`await api(request, "patient", "GET", "/v1/conversations")` returns the JSON body of a 2xx
answer. A 4xx becomes ServiceRefused (status, a message fit to show, and field errors when
the service gave any); an unreachable service becomes ServiceUnavailable (the 503 page); an
ended login becomes LoginNeeded (back to the login)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

from services.gateway.api import AUDIENCES
from services.gateway.oidc_client import IdentityUnavailable
from services.gateway.tokens import SessionEnded, access_token
from services.gateway.ui import i18n
from shared import logs


class ServiceUnavailable(Exception):
    """The service did not answer (or answered 5xx): the page says try again."""


class LoginNeeded(Exception):
    """No session, or it has ended at identity."""


@dataclass
class ServiceRefused(Exception):
    status: int
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The service's own `detail`: a reason (str, English: for pages to interpret, not show)
    # or a structure such as forms' {reason, problems}.
    detail: Any = ""


def _message(status: int, body: Any) -> str:
    # Service details are English developer texts: show a translated sentence per status.
    if status == 403:
        return i18n._("You are not allowed to do this.")
    if status == 404:
        return i18n._("It was not found. It may have been removed.")
    if status == 409:
        return i18n._("This could not be done in the current state. Reload and try again.")
    if status == 413:
        return i18n._("What you sent is too large.")
    if status in (400, 422):
        return i18n._("Some of what you entered could not be accepted. Check and try again.")
    return i18n._("The request could not be completed.")


async def api(request: Request, service: str, method: str, path: str, *,
              json: Any = None, params: dict[str, Any] | None = None,
              text: bool = False, content: bytes | None = None, raw: bool = False) -> Any:
    """`text=True`: the body of a plain-text answer, as a string. `content`: bytes to send
    as the body (a file upload); `raw=True`: the answer itself (a file download)."""
    try:
        token = await access_token(request, AUDIENCES[service])
    except SessionEnded as exc:
        raise LoginNeeded() from exc
    except IdentityUnavailable as exc:
        raise ServiceUnavailable("identity") from exc
    base = request.app.state.settings.upstreams()[service]
    headers = {"authorization": f"Bearer {token}", "accept-language": i18n.current.get(),
               "x-correlation-id": logs.correlation_id.get() or ""}
    try:
        response = await request.app.state.http.request(
            method, base + path, json=json, params=params, headers=headers, content=content)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(service) from exc
    if response.status_code == 401:
        raise LoginNeeded()
    if response.status_code >= 500:
        raise ServiceUnavailable(service)
    body: Any = None
    if response.content and "json" in response.headers.get("content-type", ""):
        body = response.json()
    if response.status_code >= 400:
        errors = body.get("errors") if isinstance(body, dict) else None
        detail = body.get("detail") if isinstance(body, dict) else None
        raise ServiceRefused(response.status_code, _message(response.status_code, body),
                             errors if isinstance(errors, list) else [],
                             detail if detail is not None else "")
    if raw:
        return response
    return response.text if text else body

"""The page behind the link in the address-verification mail: `GET /settings/verify?token=`
shows a button (a GET changes nothing: mail scanners open links too), and its POST, with the
session's CSRF token, asks identity to mark the patient's address verified. Not logged in,
the patient logs in first and comes back to the same link."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from services.gateway.ui.kit import (
    LoginRedirect,
    ServiceRefused,
    _,
    _l,
    api,
    checked_form,
    render,
    require,
    see_other,
)

router = APIRouter(include_in_schema=False)
MAX_TOKEN = 100  # identity's bound too


def _reasons() -> dict[str, str]:
    return {
        "invalid_token": _("The link is not valid. Check that the whole link was copied, and "
                           "that you are logged in as the person who saved the address."),
        "token_used": _("This link has already been used."),
        "token_expired": _("The link has expired. Save your address again to get a new one."),
        "token_superseded": _("Your e-mail address has changed since this link was sent. Use "
                              "the link in the latest e-mail."),
    }


def _page(request: Request, token: str, error: str | None = None, status: int = 200) -> Response:
    errors = [{"anchor": "confirm", "message": error}] if error else []
    return render(request, "patient/verify.html", {"token": token, "errors": errors},
                  title=_l("Confirm your e-mail address"), status=status)


@router.get("/settings/verify")
async def verify_page(request: Request, token: str = "") -> Response:
    token = token[:MAX_TOKEN]
    if getattr(request.state, "session", None) is None:
        raise LoginRedirect("/settings/verify?" + urlencode({"token": token}))
    require(request, kind="patient")
    if not token:
        return _page(request, token, _reasons()["invalid_token"], status=422)
    return _page(request, token)


@router.post("/settings/verify")
async def verify(request: Request) -> Response:
    require(request, kind="patient")
    fields = await checked_form(request)
    token = fields.one("token")[:MAX_TOKEN]
    try:
        await api(request, "identity", "POST", "/v1/me/contact/verify", json={"token": token})
    except ServiceRefused as exc:
        if exc.status not in (409, 422):
            raise
        code = exc.detail.get("code") if isinstance(exc.detail, dict) else None
        reason = _reasons().get(code or "", _reasons()["invalid_token"])
        return _page(request, token, reason, status=exc.status)
    return see_other("/settings?verified=1")

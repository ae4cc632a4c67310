"""The login front door: GET /authorize shows the ways in, each form posts back here.

  patients  e-ID (full access, loa 3; a first e-ID login of someone in the population
            register makes their account) or personnummer + password (reduced access, loa 2)
  staff     HSA-id + password + TOTP, or e-ID (loa 3)

Every form carries the pending request's id and CSRF token, and the request is bound to the
browser by a cookie (requests.py). Once someone is authenticated the request is completed
once and authlib issues the code (run in the thread pool: authlib is synchronous)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.identity import domain
from services.identity.eid import EidError
from services.identity.eid.oidc_broker import AssuranceTooLow
from services.identity.oidc import requests
from services.identity.oidc.i18n import Problem, _l
from services.identity.oidc.login_checks import (
    LoginRefused,
    patient_by_eid,
    patient_password,
    staff_password,
)
from services.identity.oidc.models import LoginUser
from services.identity.oidc.server import HttpRequest
from services.identity.oidc.staff_login import staff_by_eid
from services.identity.oidc.web import Door, DoorDep, HttpDep, browser_secret, message, page

router = APIRouter(tags=["login"])

EXPIRED_TITLE = _l("The login has expired")
EXPIRED = _l("The login has expired or has already been used. Go back and start again.")
# Where an error on the login page is shown and which field the error summary leads to.
FIELDS = {"password": "#patient-personnummer", "staff": "#staff-hsa-id", "eid": "#eid-start"}


def _secure(door: Door) -> bool:
    return door.browser_url.startswith("https://")


def login_page(door: Door, request: Request, request_id: str, csrf: str,
               error: Problem | None = None, status: int = 200,
               lang: str | None = None) -> Response:
    return page(door, request, "login.html", {
        "request_id": request_id, "csrf_token": csrf, "error": error,
        "eid": [{"name": p.name, "label": p.label} for p in door.eid.values()]},
        title=_l("Log in"), status=status, lang=lang)


def problem(form: str, text: str, reasons: dict[str, str] | None = None) -> Problem:
    return Problem(text=text, form=form, href=FIELDS[form], reasons=reasons or {})


def oauth_error(door: Door, request: Request, error: OAuth2Error) -> Response:
    if error.redirect_uri:  # the client and its redirect URI are verified: tell the client
        return door.provider.handle_error_response(None, error)
    # authlib's description is English and names the parameter at fault: shown as it is.
    return message(door, request, _l("Invalid login request"),
                   _l("The login request is not valid: %(reason)s"), 400,
                   reason=error.description or error.error)


@router.get("/authorize")
def authorize(request: Request, http: HttpDep, door: DoorDep) -> Response:
    try:
        door.provider.get_consent_grant(http)  # client, exact redirect URI, PKCE, scope
    except OAuth2Error as error:
        return oauth_error(door, request, error)
    secret = browser_secret(request) or requests.new_secret()
    door.provider.purge_now_and_then()
    with door.db.begin() as conn:
        request_id, csrf = requests.start(conn, http.query, secret,
                                          timedelta(seconds=door.settings.login_request_ttl_s))
    response = login_page(door, request, request_id, csrf)
    response.set_cookie(requests.BROWSER_COOKIE, secret, httponly=True, samesite="lax",
                        secure=_secure(door), path="/")
    return response


async def pending_request(door: Door, request: Request,
                          http: HttpRequest) -> requests.Pending | None:
    form = dict(http.form)

    def load() -> requests.Pending | None:
        with door.db.connect() as conn:
            return requests.pending(conn, form.get("request_id", ""), browser_secret(request),
                                    form.get("csrf_token", ""))
    return await run_in_threadpool(load)


def _finish(door: Door, request: Request, pending: requests.Pending, who: domain.Subject,
            amr: tuple[str, ...]) -> Response:
    with door.db.begin() as conn:
        if not requests.complete(conn, pending.request_id):
            return message(door, request, EXPIRED_TITLE, EXPIRED, 400)
    http = HttpRequest(method="GET", headers=request.headers, query=pending.params,
                       url=f"{door.browser_url}/authorize?{urlencode(pending.params)}")
    user = LoginUser(who=who, amr=amr, auth_time=datetime.now(UTC))
    try:
        grant = door.provider.get_consent_grant(http, end_user=user)
    except OAuth2Error as error:
        return oauth_error(door, request, error)
    return door.provider.create_authorization_response(http, grant_user=user, grant=grant)


async def finish(door: Door, request: Request, pending: requests.Pending, who: domain.Subject,
                 amr: tuple[str, ...]) -> Response:
    return await run_in_threadpool(_finish, door, request, pending, who, amr)


async def _credential_login(request: Request, http, door: Door, check,
                            amr: tuple[str, ...], form_name: str) -> Response:
    """The password-shaped front doors: check the form's credentials, then finish or show
    the page again with the (account-neutral) reason."""
    form = dict(http.form)
    pending = await pending_request(door, request, http)
    if pending is None:
        return message(door, request, EXPIRED_TITLE, EXPIRED, 400)
    try:
        who = await check(form)
    except LoginRefused as refused:
        response = login_page(door, request, pending.request_id, form["csrf_token"],
                              problem(form_name, refused.text, refused.reasons), refused.status)
        if refused.retry_after is not None:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    return await finish(door, request, pending, who, amr)


@router.post("/login/password")
async def password_login(request: Request, http: HttpDep, door: DoorDep) -> Response:
    async def check(form: dict) -> domain.Subject:
        return await patient_password(request, form.get("personnummer", ""),
                                      form.get("password", ""))
    return await _credential_login(request, http, door, check, ("pwd",), "password")


@router.post("/login/staff")
async def staff_login(request: Request, http: HttpDep, door: DoorDep) -> Response:
    async def check(form: dict) -> domain.Subject:
        return await staff_password(request, door, form.get("hsa_id", ""),
                                    form.get("password", ""), form.get("otp", ""))
    return await _credential_login(request, http, door, check, ("pwd", "otp", "mfa"), "staff")


@router.post("/login/cancel")
async def cancel(request: Request, http: HttpDep, door: DoorDep) -> Response:
    pending = await pending_request(door, request, http)
    if pending is None:
        return message(door, request, EXPIRED_TITLE, EXPIRED, 400)
    return await run_in_threadpool(_finish_denied, door, request, pending)


def _finish_denied(door: Door, request: Request, pending: requests.Pending) -> Response:
    with door.db.begin() as conn:
        requests.complete(conn, pending.request_id)
    http = HttpRequest(method="GET", headers=request.headers, query=pending.params,
                       url=f"{door.browser_url}/authorize?{urlencode(pending.params)}")
    try:
        grant = door.provider.get_consent_grant(http)
    except OAuth2Error as error:
        return oauth_error(door, request, error)
    return door.provider.create_authorization_response(http, grant_user=None, grant=grant)


@router.post("/login/eid/start")
async def eid_start(request: Request, http: HttpDep, door: DoorDep) -> Response:
    form = dict(http.form)
    provider = door.eid.get(form.get("provider", ""))
    kind = form.get("kind")
    if provider is None or kind not in ("patient", "staff"):
        raise HTTPException(422, "choose an e-ID provider and patient or staff")
    pending = await pending_request(door, request, http)
    if pending is None:
        return message(door, request, EXPIRED_TITLE, EXPIRED, 400)
    try:
        started = await provider.begin(pending.request_id)
    except EidError:
        return login_page(door, request, pending.request_id, form["csrf_token"],
                          problem("eid", _l("The e-ID login could not be started just now. "
                                            "Try again.")), 503)

    def remember() -> None:
        with door.db.begin() as conn:
            requests.remember_eid(conn, pending.request_id, kind=str(kind),
                                  provider=provider.name, state=started.state)
    await run_in_threadpool(remember)
    return Response(status_code=303, headers={"Location": started.redirect_url})


@router.get("/login/eid/return/{name}")
async def eid_return(name: str, request: Request, door: DoorDep) -> Response:
    provider = door.eid.get(name)
    if provider is None:
        raise HTTPException(404, "no such e-ID provider")
    params = dict(request.query_params)
    request_id = provider.request_id(params) or ""

    def load() -> requests.Pending | None:
        with door.db.connect() as conn:
            return requests.pending(conn, request_id, browser_secret(request), check_csrf=False)
    pending = await run_in_threadpool(load)
    if pending is None or pending.eid_provider != name:
        return message(door, request, EXPIRED_TITLE, EXPIRED, 400)
    again = f"{door.browser_url}/authorize?{urlencode(pending.params)}"
    try:
        identity = await provider.complete(pending.eid_state or {}, params)
    except AssuranceTooLow:
        return message(door, request, _l("The e-ID is not strong enough"),
                       _l("The e-ID service did not confirm the assurance level that Mina "
                          "vårdkontakter requires (LoA 3), so you have not been logged in. "
                          "Log in with BankID or Freja eID Plus."), 403, again)
    except EidError:
        return message(door, request, _l("The e-ID login was cancelled"),
                       _l("The login with e-ID was cancelled or failed."), 401, again)
    who = await _eid_subject(door, request, pending.kind, identity.personnummer, identity.loa)
    if who is None:
        return message(door, request, _l("No account"),
                       _l("There is no account in Mina vårdkontakter for that e-ID."), 403, again)
    return await finish(door, request, pending, who, ("mfa", "swk"))


async def _eid_subject(door: Door, request: Request, kind: Any, personnummer: str,
                       loa: int) -> domain.Subject | None:
    if kind == "staff":
        def find() -> domain.Subject | None:
            with door.db.connect() as conn:
                return staff_by_eid(conn, personnummer)
        return await run_in_threadpool(find)
    return await patient_by_eid(request, personnummer, loa)

"""The login pages' language switch. GET /language?lang=en&next=/path sets identity's
language cookie and returns to `next` (a path on this origin only); the login page posts to
POST /login/language instead, so that its login request (and CSRF token) goes on."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.identity.oidc import i18n
from services.identity.oidc.frontdoor import EXPIRED, EXPIRED_TITLE, login_page, pending_request
from services.identity.oidc.i18n import _l
from services.identity.oidc.web import DoorDep, HttpDep, message, remember_language

router = APIRouter(tags=["login"], include_in_schema=False)
MAX_NEXT = 4096


def _local(path: str) -> bool:
    # Only this origin's own pages: anything else would be an open redirect.
    return path.startswith("/") and not path.startswith("//") and "\\" not in path \
        and len(path) <= MAX_NEXT


@router.get("/language")
def choose(request: Request, door: DoorDep, lang: str = "", next: str = "") -> Response:
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT
    if _local(next):
        response = Response(status_code=303, headers={"Location": next})
    else:  # a page that a GET cannot show again (a form's answer): say so in the new language
        response = message(door, request, _l("Language"),
                           _l("Go back to the service you came from and log in again."), 200,
                           lang=lang)
    remember_language(door, response, lang)
    return response


@router.post("/login/language")
async def choose_on_login_page(request: Request, http: HttpDep, door: DoorDep) -> Response:
    form = dict(http.form)
    lang = form.get("lang", "")
    if lang not in i18n.LANGUAGES:
        lang = i18n.DEFAULT
    pending = await pending_request(door, request, http)
    if pending is None:
        response = message(door, request, EXPIRED_TITLE, EXPIRED, 400, lang=lang)
    else:
        response = await run_in_threadpool(login_page, door, request, pending.request_id,
                                           form["csrf_token"], None, 200, lang)
    remember_language(door, response, lang)
    return response

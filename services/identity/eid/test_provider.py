"""The built-in test e-ID: a page at /test-eid/<order> where the "user" types a personnummer
and approves or cancels, like a test BankID app. Anyone can approve any number, so it is
mounted only outside production (settings.test_eid_active).

The page is bound to the browser of the login request that started the order, and its form
carries a CSRF token; an approved order is collected once by the front door."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, select, update

from services.identity import domain
from services.identity.eid import EidError, EidIdentity, EidStart
from services.identity.oidc import requests
from services.identity.oidc.i18n import Problem, _l
from services.identity.oidc.store import digest
from services.identity.oidc.tables import login_requests, test_eid_orders
from services.identity.oidc.web import Door, DoorDep, HttpDep, browser_secret, message, page

NAME = "test"


class TestEid:
    name = NAME
    label = _l("Test e-ID (development and testing)")  # a msgid: the page translates it

    def __init__(self, db: Engine, browser_url: str, ttl: timedelta) -> None:
        self._db, self._browser_url, self._ttl = db, browser_url, ttl

    async def begin(self, request_id: str) -> EidStart:
        order_ref = secrets.token_urlsafe(24)
        now = datetime.now(UTC)

        def create() -> None:
            with self._db.begin() as conn:
                conn.execute(test_eid_orders.insert().values(
                    order_ref=order_ref, request_id=request_id, status="pending",
                    csrf_hash=digest(secrets.token_urlsafe(16)), created_at=now,
                    expires_at=now + self._ttl))
        await run_in_threadpool(create)
        return EidStart(f"{self._browser_url}/test-eid/{order_ref}", {"order_ref": order_ref})

    def request_id(self, params: Mapping[str, str]) -> str | None:
        return params.get("request")

    async def complete(self, state: dict[str, Any], params: Mapping[str, str]) -> EidIdentity:
        order_ref = params.get("order", "")
        if not hmac.compare_digest(order_ref.encode(), str(state.get("order_ref", "")).encode()):
            raise EidError("the return names another order")
        return await run_in_threadpool(self._collect, order_ref)

    def _collect(self, order_ref: str) -> EidIdentity:
        with self._db.begin() as conn:
            row = conn.execute(
                update(test_eid_orders)
                .where(test_eid_orders.c.order_ref == order_ref,
                       test_eid_orders.c.status == "approved",
                       test_eid_orders.c.expires_at > datetime.now(UTC))
                .values(status="collected").returning(test_eid_orders.c.personnummer)).first()
        if row is None:
            raise EidError("not approved")
        return EidIdentity(personnummer=row.personnummer, provider=NAME)


router = APIRouter(prefix="/test-eid", tags=["test e-ID"], include_in_schema=False)


def _open_order(door: Door, request: Request, order_ref: str) -> Any | None:
    """The pending order, if this is the browser whose login started it."""
    with door.db.connect() as conn:
        row = conn.execute(
            select(test_eid_orders, login_requests.c.browser_hash)
            .join(login_requests, login_requests.c.request_id == test_eid_orders.c.request_id)
            .where(test_eid_orders.c.order_ref == order_ref)).first()
    if row is None or row.status != "pending" or row.expires_at <= datetime.now(UTC):
        return None
    return row if requests.same(browser_secret(request), row.browser_hash) else None


def _show(door: Door, request: Request, order_ref: str, error: Problem | None = None,
          status: int = 200) -> Response:
    csrf = secrets.token_urlsafe(32)
    with door.db.begin() as conn:
        conn.execute(update(test_eid_orders).where(test_eid_orders.c.order_ref == order_ref)
                     .values(csrf_hash=digest(csrf)))
    return page(door, request, "test_eid.html",
                {"order_ref": order_ref, "csrf_token": csrf, "error": error},
                title=_l("Test e-ID"), status=status, back=f"/test-eid/{order_ref}")


@router.get("/{order_ref}")
def show(order_ref: str, request: Request, door: DoorDep) -> Response:
    if _open_order(door, request, order_ref) is None:
        return message(door, request, _l("No identification is waiting"),
                       _l("This identification does not exist, has expired or is already "
                          "done."), 404)
    return _show(door, request, order_ref)


@router.post("/{order_ref}")
def decide(order_ref: str, request: Request, http: HttpDep, door: DoorDep) -> Response:
    form = dict(http.form)
    order = _open_order(door, request, order_ref)
    if order is None or not requests.same(form.get("csrf_token"), order.csrf_hash):
        raise HTTPException(403, "this approval page is not open in this browser")
    decision = form.get("decision")
    if decision not in ("approve", "cancel"):
        raise HTTPException(422, "decision must be approve or cancel")
    personnummer = None
    if decision == "approve":
        personnummer = domain.normalize_personnummer(form.get("personnummer", ""))
        if personnummer is None:
            return _show(door, request, order_ref, Problem(
                _l("Enter a valid personnummer."), "test-eid", "#test-eid-personnummer"), 422)
    with door.db.begin() as conn:
        conn.execute(update(test_eid_orders).where(test_eid_orders.c.order_ref == order_ref,
                                                   test_eid_orders.c.status == "pending")
                     .values(status="approved" if personnummer else "cancelled",
                             personnummer=personnummer))
    back = urlencode({"request": order.request_id, "order": order_ref})
    return Response(status_code=303,
                    headers={"Location": f"{door.browser_url}/login/eid/return/{NAME}?{back}"})

"""Pending /authorize requests while someone logs in (synchronous SQL).

Each is bound to one browser by a random cookie (only its hash is stored) and every login
form carries the request's CSRF token (synchronizer token; only its hash is stored). A
request is completed at most once and expires after `login_request_ttl_s`."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from services.identity.oidc.store import digest
from services.identity.oidc.tables import login_requests

BROWSER_COOKIE = "mvk_idp_browser"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(secret: str | None, stored_hash: str) -> bool:
    return secret is not None and hmac.compare_digest(digest(secret), stored_hash)


@dataclass(frozen=True)
class Pending:
    request_id: str
    params: list[tuple[str, str]]
    kind: str | None
    eid_provider: str | None
    eid_state: dict[str, Any] | None

    @property
    def client_id(self) -> str:
        return dict(self.params).get("client_id", "")


def start(conn: Connection, params: list[tuple[str, str]], browser_secret: str,
          ttl: timedelta) -> tuple[str, str]:
    """A new pending request; returns its id and CSRF token."""
    request_id, csrf = secrets.token_urlsafe(24), new_secret()
    now = datetime.now(UTC)
    conn.execute(login_requests.insert().values(
        request_id=request_id, browser_hash=digest(browser_secret), csrf_hash=digest(csrf),
        params=[list(p) for p in params], created_at=now, expires_at=now + ttl))
    return request_id, csrf


def pending(conn: Connection, request_id: str, browser_secret: str | None,
            csrf: str | None = None, *, check_csrf: bool = True) -> Pending | None:
    """The request if it is live, belongs to this browser and (for forms) the CSRF token
    matches; None otherwise, whatever the reason."""
    row = conn.execute(select(login_requests)
                       .where(login_requests.c.request_id == request_id)).first()
    if row is None or row.completed_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    if not same(browser_secret, row.browser_hash):
        return None
    if check_csrf and not same(csrf, row.csrf_hash):
        return None
    return Pending(request_id=row.request_id, params=[(k, v) for k, v in row.params],
                   kind=row.kind, eid_provider=row.eid_provider, eid_state=row.eid_state)


def remember_eid(conn: Connection, request_id: str, *, kind: str, provider: str,
                 state: dict[str, Any]) -> None:
    conn.execute(update(login_requests).where(login_requests.c.request_id == request_id)
                 .values(kind=kind, eid_provider=provider, eid_state=state))


def complete(conn: Connection, request_id: str) -> bool:
    """Marks the request used; False if it already was (a replayed form or return)."""
    done = conn.execute(update(login_requests)
                        .where(login_requests.c.request_id == request_id,
                               login_requests.c.completed_at.is_(None))
                        .values(completed_at=datetime.now(UTC)))
    return bool(done.rowcount)

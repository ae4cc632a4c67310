"""Browser sessions of the gateway: tokens stay here, the browser holds only a random cookie.

In memory: right for one gateway replica (the local stack, compose). More replicas need a
shared store (e.g. PostgreSQL or Redis) or sticky sessions; a restart logs everyone out.
Sessions end after `session_idle_s` without use or `session_max_s` in all (identity's own
limit on the refresh family ends them too). A pending login (state, nonce, PKCE verifier)
is kept for ten minutes and bound to the browser that started it by a second cookie."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

SESSION_COOKIE = "mvk_session"
LOGIN_COOKIE = "mvk_login"
PENDING_TTL_S = 600


def _key(secret: str) -> str:
    # Stored by hash: a dump of the store does not hand out working cookies.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class AccessToken:
    value: str
    expires_at: float  # time.time()


@dataclass
class Session:
    subject: str
    kind: str
    loa: int
    refresh_token: str
    id_token: str
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    access: dict[str, AccessToken] = field(default_factory=dict)
    created_at: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    # One refresh at a time: rotation makes a second, concurrent use of the same refresh
    # token look like theft, and identity would end the whole login.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    verifier: str
    browser_hash: str
    next_path: str
    created_at: float = field(default_factory=time.monotonic)


class SessionStore:
    def __init__(self, *, idle_s: float, max_s: float) -> None:
        self._idle, self._max = idle_s, max_s
        self._sessions: dict[str, Session] = {}
        self._pending: dict[str, PendingLogin] = {}

    def create(self, session: Session) -> str:
        self._purge()
        cookie = secrets.token_urlsafe(32)
        self._sessions[_key(cookie)] = session
        return cookie

    def get(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        key = _key(cookie)
        session = self._sessions.get(key)
        now = time.monotonic()
        if session is None:
            return None
        if now - session.last_seen > self._idle or now - session.created_at > self._max:
            del self._sessions[key]
            return None
        session.last_seen = now
        return session

    def drop(self, cookie: str | None) -> Session | None:
        return self._sessions.pop(_key(cookie), None) if cookie else None

    def begin_login(self, *, nonce: str, verifier: str, next_path: str) -> tuple[str, str]:
        """A pending login; returns its state and the browser-binding cookie value."""
        self._purge()
        state, browser = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._pending[state] = PendingLogin(state=state, nonce=nonce, verifier=verifier,
                                            browser_hash=_key(browser), next_path=next_path)
        return state, browser

    def take_login(self, state: str, browser: str | None) -> PendingLogin | None:
        """The pending login for a callback, once, and only in the browser that began it."""
        pending = self._pending.pop(state, None)
        if pending is None or browser is None:
            return None
        if time.monotonic() - pending.created_at > PENDING_TTL_S:
            return None
        return pending if hmac.compare_digest(pending.browser_hash, _key(browser)) else None

    def _purge(self) -> None:
        now = time.monotonic()
        for key, s in list(self._sessions.items()):
            if now - s.last_seen > self._idle or now - s.created_at > self._max:
                del self._sessions[key]
        for state, p in list(self._pending.items()):
            if now - p.created_at > PENDING_TTL_S:
                del self._pending[state]

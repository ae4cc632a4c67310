"""Browser sessions of the gateway: tokens stay here, the browser holds only a random cookie.

Every replica reads and writes the same rows (session_rows.PgRows: PostgreSQL; MemoryRows
for one process in development and unit tests). A row is keyed by the cookie's hash, so a
dump of the table hands out no working cookies, and its contents (refresh token, id token,
access tokens) are sealed with AES-256-GCM under a key from GATEWAY_SESSION_SECRET, bound to
the row's key. Sessions end after `idle_s` without use or `max_s` in all (identity's own
limit on the refresh family ends them too); an idle-expired session is remembered as such
until purged, so the next page can say why the person was logged out. A pending login
(state, nonce, PKCE verifier) is kept ten minutes and bound to the browser that started it by
a second cookie; it is shared too, because the callback may reach another replica."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.gateway.session_rows import Rows

SESSION_COOKIE = "mvk_session"
LOGIN_COOKIE = "mvk_login"
PENDING_TTL_S = 600
# A page view records its use only when the last recorded one is older than this: without it
# every request through a browser session was a write (a transaction) besides its read. The
# idle limit then counts from a use at most this much before the last request.
RECORD_USE_AFTER_S = 60
Status = Literal["none", "active", "idle", "expired"]


def _key(secret: str) -> str:
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
    # From the id token: staff units and roles, the patient's listed unit (for display and
    # navigation only; every service checks the access token itself).
    claims: dict[str, Any] = field(default_factory=dict)
    # What pages remember between requests (e.g. the unit a member of staff works in now):
    # small, non-clinical, saved with `SessionStore.locked`.
    ui: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    # One refresh at a time within a process (the store's `locked` serialises replicas):
    # rotation makes a second, concurrent use of a refresh token look like theft.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, compare=False, repr=False)

    def to_json(self) -> bytes:
        data = asdict(self, dict_factory=lambda kv: {k: v for k, v in kv if k != "lock"})
        return json.dumps(data).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Session:
        data = json.loads(raw)
        data["access"] = {k: AccessToken(**v) for k, v in data.get("access", {}).items()}
        known = {f.name for f in fields(cls)} - {"lock"}  # rows of another version: tolerated
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    verifier: str
    browser_hash: str
    next_path: str
    created_at: float = field(default_factory=time.time)


class Sealer:
    """AES-256-GCM with the row key as associated data: a blob moved to another row fails."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"mvk-gateway-sessions:" + secret.encode()).digest())

    def seal(self, key: str, plain: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, plain, key.encode())

    def open(self, key: str, sealed: bytes) -> bytes | None:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], key.encode())
        except (InvalidTag, ValueError):  # another key, or tampered with: no session
            return None


class SessionStore:
    def __init__(self, rows: Rows, secret: str, *, idle_s: float, max_s: float) -> None:
        self._rows, self._sealer = rows, Sealer(secret)
        self.idle_s, self.max_s = idle_s, max_s

    async def create(self, session: Session) -> str:
        now = time.time()
        await self._rows.purge(now - self.max_s, now - PENDING_TTL_S)
        session.created_at = session.last_seen = now  # the limits count from here
        cookie = secrets.token_urlsafe(32)
        await self.save(cookie, session)
        return cookie

    async def save(self, cookie: str, session: Session) -> None:
        key = _key(cookie)
        await self._rows.put_session(key, session.created_at, session.last_seen,
                                     self._sealer.seal(key, session.to_json()))

    async def load(self, cookie: str | None) -> tuple[Session | None, Status]:
        """The live session for the cookie (its use recorded), or why there is none."""
        if not cookie:
            return None, "none"
        key = _key(cookie)
        row = await self._rows.get_session(key)
        if row is None:
            return None, "none"
        created, last_seen, blob = row
        now = time.time()
        if now - created > self.max_s:
            await self._rows.delete_session(key)
            return None, "expired"
        if now - last_seen > self.idle_s:
            await self._rows.delete_session(key)
            return None, "idle"
        plain = self._sealer.open(key, blob)
        if plain is None:
            return None, "none"
        session = Session.from_json(plain)
        # The use the idle limit counts from, as recorded: what the page's warning shows.
        session.last_seen = last_seen
        if now - last_seen >= RECORD_USE_AFTER_S:
            session.last_seen = now
            await self._rows.touch_session(key, now)
        return session, "active"

    async def get(self, cookie: str | None) -> Session | None:
        return (await self.load(cookie))[0]

    async def drop(self, cookie: str | None) -> None:
        if cookie:
            await self._rows.delete_session(_key(cookie))

    @asynccontextmanager
    async def locked(self, cookie: str) -> AsyncIterator[Session | None]:
        """The session, re-read under a lock every replica respects, saved afterwards: for
        token refreshes, which rotate the refresh token."""
        key = _key(cookie)
        async with self._rows.lock(key):
            row = await self._rows.get_session(key)
            plain = self._sealer.open(key, row[2]) if row else None
            session = Session.from_json(plain) if plain else None
            yield session
            if session is not None:
                await self.save(cookie, session)

    async def begin_login(self, *, nonce: str, verifier: str,
                          next_path: str) -> tuple[str, str]:
        """A pending login; returns its state and the browser-binding cookie value."""
        state, browser = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        pending = PendingLogin(state=state, nonce=nonce, verifier=verifier,
                               browser_hash=_key(browser), next_path=next_path)
        key = _key(state)
        await self._rows.put_pending(key, pending.created_at,
                                     self._sealer.seal(key, json.dumps(asdict(pending)).encode()))
        return state, browser

    async def take_login(self, state: str, browser: str | None) -> PendingLogin | None:
        """The pending login for a callback, once, and only in the browser that began it."""
        key = _key(state)
        blob = await self._rows.take_pending(key)
        plain = self._sealer.open(key, blob) if blob else None
        if plain is None or browser is None:
            return None
        pending = PendingLogin(**json.loads(plain))
        if time.time() - pending.created_at > PENDING_TTL_S:
            return None
        return pending if hmac.compare_digest(pending.browser_hash, _key(browser)) else None

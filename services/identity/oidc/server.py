"""authlib's AuthorizationServer for FastAPI: request and response adapters, the registered
grants and endpoints, and how tokens are made.

Access tokens keep identity's format (domain.access_claims: one audience, short expiry,
signed by the rotating keys in keys.py). Which audience: the RFC 8707 `resource` parameter
of the token request (shared.auth.resource_indicator); the refresh grant may name another
resource, which is how a client gets one token per service. Refresh tokens are opaque random
strings, stored hashed (store.py)."""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload
from authlib.oidc.core.util import create_half_hash
from fastapi import Response
from fastapi.responses import JSONResponse
from joserfc import jwt
from sqlalchemy import Engine

from services.identity import domain
from services.identity.oidc import grants, store
from services.identity.oidc.models import Client, LoginUser
from services.identity.oidc.subjects import current_subject
from services.identity.settings import IdentitySettings
from services.identity.signing import keys
from services.identity.signing.keys import SigningKeys
from shared.ids import uuid7

log = logging.getLogger(__name__)
PURGE_EVERY_S = 600


@dataclass(frozen=True)
class HttpRequest:
    """What authlib needs of an HTTP request, read (async) before a sync route runs."""

    method: str
    url: str
    headers: Any  # case-insensitive mapping (starlette Headers)
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)


class _Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    @cached_property
    def data(self) -> dict[str, str]:
        first: dict[str, str] = {}
        for key, value in self._pairs:
            first.setdefault(key, value)
        return first

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._pairs:
            values[key].append(value)
        return values


class _Request(OAuth2Request):
    def __init__(self, http: HttpRequest, *, plain_http_ok: bool) -> None:
        url = http.url
        if plain_http_ok and url.startswith("http://"):
            # authlib refuses plain HTTP except on loopback; development stacks (compose)
            # talk plain HTTP between containers. Production keeps authlib's rule.
            url = "https://" + url.removeprefix("http://")
        super().__init__(method=http.method, uri=url, headers=http.headers)
        self._http = http
        # Token and revocation parameters only count in the body, never in the URL.
        self.payload = _Payload(http.form if http.method == "POST" else http.query)
        self.audience = grants.DEFAULT_AUDIENCE

    @property
    def args(self) -> dict[str, str]:
        return _Payload(self._http.query).data

    @property
    def form(self) -> dict[str, str]:
        return _Payload(self._http.form).data


class Provider(AuthorizationServer):
    def __init__(self, *, settings: IdentitySettings, db: Engine, signing_keys: SigningKeys,
                 clients: dict[str, Client]) -> None:
        super().__init__(scopes_supported=["openid"])
        self.settings, self.db, self.keys, self.clients = settings, db, signing_keys, clients
        self.issuer = settings.issuer
        self._plain_http_ok = settings.environment in ("development", "test")
        self._purged_at = float("-inf")
        self.register_grant(grants.CodeGrant, [grants.S256Challenge(), grants.IdTokens(self)])
        self.register_grant(grants.RefreshGrant)
        self.register_endpoint(grants.Revocation)
        self.register_endpoint(grants.EndSession)

    # --- authlib's integration points ---------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return _Request(request, plain_http_ok=self._plain_http_ok)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            extra = {k: v for k, v in headers if k.lower() != "content-type"}
            return JSONResponse(body, status_code=status, headers=extra)
        return Response(body or b"", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        if name == "after_revoke_token":
            log.info("token revoked by client")

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if "refresh_token" not in token:
            return
        user: LoginUser = request.user
        with self.db.begin() as conn:
            store.save_refresh_token(
                conn, token["refresh_token"], sid=str(user.sid),
                client_id=request.client.get_client_id(), scope=token.get("scope", ""),
                ttl=timedelta(seconds=self.settings.refresh_token_ttl_s))

    # --- our own parts --------------------------------------------------------------------

    def login_user(self, sid: str) -> LoginUser | None:
        """The session's person as the catalogue has them now; None ends the session."""
        with self.db.begin() as conn:
            session = store.live_session(conn, sid)
            if session is None:
                return None
            who = current_subject(conn, session)
            if who is None:
                store.revoke_session(conn, sid, "subject_gone")
                return None
        return LoginUser(who=who, amr=tuple(session.amr), auth_time=session.auth_time, sid=sid)

    def issue_tokens(self, request: Any, user: LoginUser, scope: str | None,
                     include_refresh_token: bool) -> dict[str, Any]:
        with self.db.connect() as conn:
            key = self.keys.active_key_sync(conn)
        ttl = self.settings.token_ttl_s
        access = keys.sign(domain.access_claims(
            user.who, issuer=self.issuer, audience=getattr(request, "audience",
                                                           grants.DEFAULT_AUDIENCE),
            now=datetime.now(UTC), ttl_s=ttl, jti=str(uuid7())), key)
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": access,
                                 "expires_in": ttl, "scope": scope or ""}
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(48)
        return token

    def sign_id_token(self, token: dict[str, Any], request: Any) -> str:
        user: LoginUser = request.user
        code = request.authorization_code
        with self.db.connect() as conn:
            key = self.keys.active_key_sync(conn)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": user.who.subject, "aud": request.client.get_client_id(),
            "iat": now, "exp": now + self.settings.token_ttl_s, "auth_time": code.get_auth_time(),
            "sid": user.sid, "acr": user.acr, "amr": list(user.amr),
            "kind": user.who.kind, "loa": user.who.loa}
        if code.get_nonce():
            claims["nonce"] = code.get_nonce()
        at_hash = create_half_hash(token["access_token"], keys.ALGORITHM)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        return jwt.encode({"alg": keys.ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key)

    def purge_now_and_then(self) -> None:
        """Expired rows go at most every PURGE_EVERY_S per replica (from /authorize, so an
        idle provider does no work)."""
        if time.monotonic() - self._purged_at < PURGE_EVERY_S:
            return
        self._purged_at = time.monotonic()
        with self.db.begin() as conn:
            store.purge_expired(conn, timedelta(days=1))

    def jwks(self) -> dict[str, Any]:
        with self.db.connect() as conn:
            return self.keys.jwks_sync(conn)

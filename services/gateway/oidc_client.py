"""The gateway as identity's OpenID Connect client: authorization code + PKCE (S256),
confidential (client_secret_basic), through authlib's httpx client.

Endpoints come from identity's discovery document (fetched once). The id token is verified
here (signature via identity's JWKS, issuer, audience = our client id, expiry, nonce). An
access token for a service is minted on demand by a refresh with an RFC 8707 `resource`;
each refresh rotates the refresh token, so a session refreshes one request at a time."""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from joserfc import jws, jwt
from joserfc.errors import JoseError

from services.gateway.session import AccessToken, PendingLogin, Session
from services.gateway.settings import GatewaySettings
from shared.auth import TokenVerifier, resource_indicator

with warnings.catch_warnings():
    # authlib now prefers the httpx2 fork; the httpx the project uses works all the same.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

EARLY_S = 30  # refresh an access token this long before it expires


def _payload(token: str) -> dict[str, Any]:
    try:
        part = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))
    except (IndexError, ValueError, TypeError):
        return {}


class LoginError(Exception):
    """The login could not be completed, or has ended (refused, revoked, tampered with)."""


class IdentityUnavailable(Exception):
    """identity did not answer: try again later, the login itself may well be fine."""


class IdTokenVerifier(TokenVerifier):
    """shared.auth's verifier (JWKS cache, refetch on unknown key id) for id tokens."""

    def verify_id_token(self, keyset: Any, token: str, nonce: str) -> dict[str, Any]:
        decoded = jwt.decode(token, keyset, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
            sub={"essential": True}, exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
        return dict(decoded.claims)

    async def claims(self, token: str, nonce: str) -> dict[str, Any]:
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
            return self.verify_id_token(await self._keyset(kid), token, nonce)
        except (JoseError, ValueError) as exc:
            raise LoginError(f"id token refused ({type(exc).__name__})") from exc


class OidcClient:
    def __init__(self, settings: GatewaySettings, http: httpx.AsyncClient,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings, self._http = settings, http
        self._issuer = settings.identity_url.rstrip("/")
        self._oauth = AsyncOAuth2Client(
            client_id=settings.client_id, client_secret=settings.client_secret.get_secret_value(),
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            redirect_uri=settings.redirect_uri, code_challenge_method="S256",
            transport=transport, timeout=settings.upstream_timeout_s)
        self._metadata: dict[str, Any] | None = None
        self._ids: IdTokenVerifier | None = None

    async def aclose(self) -> None:
        await self._oauth.aclose()

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            response = await self._http.get(f"{self._issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            found = response.json()
            if found.get("issuer") != self._issuer:
                raise LoginError("identity's discovery document names another issuer")
            self._metadata = found
            self._ids = IdTokenVerifier(jwks_url=found["jwks_uri"], issuer=self._issuer,
                                        audience=self._settings.client_id)
            self._ids.fetch_jwks = self._fetch_jwks  # type: ignore[method-assign]
        return self._metadata

    async def _fetch_jwks(self) -> dict:
        response = await self._http.get((await self.metadata())["jwks_uri"])
        response.raise_for_status()
        return response.json()

    async def authorization_url(self, state: str, nonce: str, verifier: str,
                                lang: str | None = None) -> str:
        """identity's login URL; `lang` (OIDC ui_locales) is the user's language here, since
        identity, on an origin of its own, cannot read our language cookie."""
        meta = await self.metadata()
        extra = {"ui_locales": lang} if lang else {}
        url, _ = self._oauth.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce,
            scope="openid", **extra)
        return str(url)

    @staticmethod
    def new_secrets() -> tuple[str, str]:
        """A PKCE verifier and a nonce for a new login."""
        return generate_token(64), secrets.token_urlsafe(24)

    async def exchange(self, code: str, pending: PendingLogin) -> Session:
        meta = await self.metadata()
        try:
            token = await self._oauth.fetch_token(
                meta["token_endpoint"], grant_type="authorization_code", code=code,
                code_verifier=pending.verifier, redirect_uri=self._settings.redirect_uri)
        except (OAuthError, httpx.HTTPError, ValueError) as exc:
            raise LoginError(f"code exchange failed ({type(exc).__name__})") from exc
        assert self._ids is not None
        claims = await self._ids.claims(str(token.get("id_token", "")), pending.nonce)
        # Units and roles (staff) or the listed unit (patients) ride in the access token,
        # which came straight from identity on this back channel: read, not re-verified.
        carried = {**_payload(str(token["access_token"])), **claims}
        shown: dict[str, Any] = {k: carried[k] for k in ("units", "listed_unit") if k in carried}
        session = Session(subject=claims["sub"], kind=claims.get("kind", ""),
                          loa=int(claims.get("loa", 0)), refresh_token=token["refresh_token"],
                          id_token=token["id_token"], claims=shown)
        session.access["identity"] = AccessToken(token["access_token"],
                                                 time.time() + int(token["expires_in"]))
        return session

    async def access_token(self, session: Session, audience: str) -> str:
        """The session's token for `audience`, minted by a refresh when missing or old."""
        async with session.lock:
            cached = session.access.get(audience)
            if cached is not None and cached.expires_at - EARLY_S > time.time():
                return cached.value
            try:
                meta = await self.metadata()
            except httpx.HTTPError as exc:
                raise IdentityUnavailable(type(exc).__name__) from exc
            try:
                token = await self._oauth.refresh_token(
                    meta["token_endpoint"], refresh_token=session.refresh_token,
                    resource=resource_indicator(audience))
            except OAuthError as exc:  # invalid_grant: revoked, reused, expired, person gone
                raise LoginError(f"refresh refused ({exc.error})") from exc
            except (httpx.HTTPError, ValueError) as exc:
                raise IdentityUnavailable(type(exc).__name__) from exc
            session.refresh_token = token["refresh_token"]
            session.access[audience] = AccessToken(token["access_token"],
                                                   time.time() + int(token["expires_in"]))
            return str(token["access_token"])

    async def revoke(self, session: Session) -> None:
        """Ends the login at identity (the whole refresh family); best effort."""
        meta = await self.metadata()
        async with session.lock:
            try:
                await self._oauth.revoke_token(meta["revocation_endpoint"],
                                               token=session.refresh_token,
                                               token_type_hint="refresh_token")
            except httpx.HTTPError as exc:
                raise LoginError(f"revocation failed ({type(exc).__name__})") from exc

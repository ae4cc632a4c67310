"""An external OpenID Connect e-ID broker (the kind Swedish e-ID services offer for BankID
and Freja eID), through authlib's httpx client.

Code flow with PKCE (S256), `state` (which also names our pending login request) and
`nonce`; the id token is verified against the broker's JWKS (signature, issuer, audience,
expiry, nonce) and the personnummer read from a configurable claim (default: the Swedish
OIDC profile's personalIdentityNumber). Discovery and keys are fetched once and refetched
when a token names an unknown key id."""

from __future__ import annotations

import hmac
import secrets
import warnings
from collections.abc import Mapping
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.identity import domain
from services.identity.eid import EidError, EidIdentity, EidStart
from services.identity.oidc.i18n import _l

with warnings.catch_warnings():
    # authlib now prefers the httpx2 fork; the httpx the project uses works all the same.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

NAME = "broker"
# DIGG's assurance levels, lowest first. The login asks for `acr_values` (LoA 3 unless told
# otherwise) and the id token must name that level or a higher one in `acr`: a token without
# it, or with a lower one, is refused (AssuranceTooLow), never taken as full e-ID access.
LOA_LEVELS = ("http://id.elegnamnden.se/loa/1.0/loa1", "http://id.elegnamnden.se/loa/1.0/loa2",
              "http://id.elegnamnden.se/loa/1.0/loa3", "http://id.elegnamnden.se/loa/1.0/loa4")
DEFAULT_ACR = LOA_LEVELS[2]
ALGORITHMS = ["RS256", "PS256", "ES256"]


class AssuranceTooLow(EidError):
    """The broker did not state (or did not reach) the assurance level asked for."""


def accepted_levels(required: str) -> frozenset[str]:
    if required not in LOA_LEVELS:
        raise ValueError(f"unknown assurance level {required!r}; one of {LOA_LEVELS}")
    return frozenset(LOA_LEVELS[LOA_LEVELS.index(required):])


class OidcBroker:
    name = NAME
    label = _l("BankID or Freja eID")

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, scope: str,
                 personnummer_claim: str, return_url: str, acr: str = DEFAULT_ACR,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._acr, self._accepted = acr, accepted_levels(acr)
        self._issuer = issuer.rstrip("/")
        self._client_id, self._secret, self._scope = client_id, client_secret, scope
        self._claim, self._return_url, self._transport = personnummer_claim, return_url, transport
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self._client_id, client_secret=self._secret,
                                 token_endpoint_auth_method="client_secret_basic",
                                 redirect_uri=self._return_url, code_challenge_method="S256",
                                 transport=self._transport, timeout=10.0)

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=10.0) as http:
                response = await http.get(url)
                response.raise_for_status()
                return dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise EidError(f"e-ID broker unavailable ({type(exc).__name__})") from exc

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            found = await self._get(f"{self._issuer}/.well-known/openid-configuration")
            if found.get("issuer", "").rstrip("/") != self._issuer:
                raise EidError("the broker's discovery document names another issuer")
            self._metadata = found
        return self._metadata

    async def _keyset(self, kid: str | None) -> KeySet:
        if self._keys is None or not any(k.kid == kid for k in self._keys.keys):
            jwks: Any = await self._get((await self.metadata())["jwks_uri"])
            self._keys = KeySet.import_key_set(jwks)
        return self._keys

    async def begin(self, request_id: str) -> EidStart:
        meta = await self.metadata()
        verifier, nonce = generate_token(64), secrets.token_urlsafe(24)
        state = f"{request_id}.{secrets.token_urlsafe(24)}"
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"], state=state, code_verifier=verifier,
                nonce=nonce, scope=self._scope, acr_values=self._acr)
        return EidStart(url, {"state": state, "nonce": nonce, "verifier": verifier})

    def request_id(self, params: Mapping[str, str]) -> str | None:
        return params.get("state", "").partition(".")[0] or None

    async def complete(self, state: dict[str, Any], params: Mapping[str, str]) -> EidIdentity:
        if "error" in params:
            raise EidError(f"the broker answered {params['error']}")
        if not hmac.compare_digest(params.get("state", "").encode(),
                                   str(state.get("state", "")).encode()):
            raise EidError("state does not match")
        if not params.get("code"):
            raise EidError("no code")
        meta = await self.metadata()
        try:
            async with self._client() as client:
                token = await client.fetch_token(meta["token_endpoint"], code=params["code"],
                                                 code_verifier=state["verifier"],
                                                 grant_type="authorization_code")
        except (OAuthError, httpx.HTTPError, ValueError) as exc:
            raise EidError(f"code exchange failed ({type(exc).__name__})") from exc
        claims = await self._verify(str(token.get("id_token", "")), str(state["nonce"]))
        personnummer = domain.normalize_personnummer(str(claims.get(self._claim, "")))
        if personnummer is None:
            raise EidError("the id token has no valid personnummer")
        return EidIdentity(personnummer=personnummer, provider=NAME)

    async def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            kid = jws.extract_compact(id_token.encode()).headers().get("kid")
            decoded = jwt.decode(id_token, await self._keyset(kid), algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._client_id},
                exp={"essential": True}, nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise EidError(f"id token refused ({type(exc).__name__})") from exc
        claims = dict(decoded.claims)
        if claims.get("acr") not in self._accepted:
            raise AssuranceTooLow("the id token does not state the assurance level asked for")
        return claims

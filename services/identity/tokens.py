"""Issuing access tokens (one per audience) and verifying identity's own audience.

The OpenID Provider (oidc/server.py) signs the same claims (domain.access_claims) with the
same keys, so tokens look the same whichever way a person logged in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity import domain, keys
from services.identity.keys import SigningKeys
from shared.auth import TokenVerifier
from shared.ids import uuid7


class TokenService:
    def __init__(self, signing_keys: SigningKeys, engine: AsyncEngine, *, issuer: str,
                 ttl_s: int) -> None:
        self._keys, self._engine = signing_keys, engine
        self.issuer, self.ttl_s = issuer, ttl_s

    async def issue_all(self, who: domain.Subject) -> dict[str, str]:
        """One token per audience, so a token stolen from one service is useless at another."""
        async with self._engine.connect() as conn:
            key = await self._keys.active_key(conn)
        now = datetime.now(UTC)
        return {audience: keys.sign(domain.access_claims(
                    who, issuer=self.issuer, audience=audience, now=now, ttl_s=self.ttl_s,
                    jti=str(uuid7())), key)
                for audience in domain.AUDIENCES}


class LocalTokenVerifier(TokenVerifier):
    """shared.auth's verifier, reading the key set from identity's own table instead of
    fetching identity's JWKS over HTTP from itself."""

    def __init__(self, signing_keys: SigningKeys, engine: AsyncEngine, *, issuer: str) -> None:
        super().__init__(jwks_url=f"{issuer}/.well-known/jwks.json", issuer=issuer,
                         audience="identity")
        self._signing_keys, self._engine = signing_keys, engine

    async def _keyset(self, kid: str | None) -> KeySet:
        async with self._engine.connect() as conn:
            jwks: Any = await self._signing_keys.jwks(conn)  # plain JSON, as if fetched
        return KeySet.import_key_set(jwks)

"""Verifying tokens for identity's own audience. Tokens are issued only by the OpenID
Provider (oidc/server.py: domain.access_claims, signed with keys.py's rotating keys)."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.signing.keys import SigningKeys
from shared.auth import TokenVerifier


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

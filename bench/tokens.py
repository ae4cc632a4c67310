"""Access tokens signed by a local key and a verifier that knows it: what the hot-path
benchmark (bench/hotpaths.py) verifies, and the token-attack tests start from."""

from __future__ import annotations

import time

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from shared.auth import TokenVerifier

ISSUER, AUDIENCE = "http://identity.test", "patient-mailbox"
SIGNING = ECKey.generate_key("P-256", parameters={"kid": "k1"})


class LocalVerifier(TokenVerifier):
    """A TokenVerifier whose JWKS is the given keys, counting how often it fetched them."""

    def __init__(self, keys: list[ECKey]) -> None:
        super().__init__(jwks_url="unused", issuer=ISSUER, audience=AUDIENCE)
        self.published = keys
        self.fetches = 0

    async def fetch_jwks(self) -> dict:
        self.fetches += 1
        return KeySet(self.published).as_dict(private=False)


def claims(**overrides) -> dict:
    """A valid patient token's claims; an override of None leaves that claim out."""
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "p-1", "iat": now, "nbf": now,
            "exp": now + 900, "kind": "patient", "loa": 3}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(payload: dict, key: ECKey = SIGNING, kid: str = "k1") -> str:
    return jwt.encode({"alg": "ES256", "kid": kid}, payload, key)

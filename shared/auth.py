"""Access-token verification for every service that owns data.

identity signs short-lived, audience-bound JWTs (ES256); services fetch its JWKS, cache it,
and refetch when a token names a key id they have not seen (signing-key rotation). The
cached set has a lifetime: after `max_age_s` it is fetched again, so a key identity has
retired stops verifying within minutes (while identity cannot be reached, the old set is
used for at most `max_stale_s` more). Only ES256 is accepted, so `alg: none` and
algorithm-confusion tokens fail."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, HTTPException, Request
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, ValidationError

ALGORITHMS = ["ES256"]
LOA_EID = 3  # e-ID: full access
VERIFIED_CACHE_SIZE = 4096  # tokens remembered per process (a few MB at most)
LOA_PASSWORD = 2  # activation-letter password: may see that messages exist, not read them


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)
    subject: str  # pseudonymous id
    kind: Literal["patient", "staff"]
    loa: int
    units: dict[str, list[str]] = {}  # staff: unit id -> roles
    issued_at: int | None = None  # `iat`: compared with a staff member's revocation time
    # Patients: the care unit they are listed at (a unit id), for e-services a unit offers
    # to its listed patients only; None when not listed anywhere.
    listed_unit: str | None = None

    def has_role(self, unit_id: str, role: str) -> bool:
        return self.kind == "staff" and role in self.units.get(unit_id, [])


class InvalidToken(Exception):
    pass


class TokenVerifier:
    def __init__(self, *, jwks_url: str, issuer: str, audience: str,
                 refetch_interval_s: float = 5.0, max_age_s: float = 300.0,
                 max_stale_s: float = 900.0, clock=time.monotonic) -> None:
        self._jwks_url, self._issuer, self._audience = jwks_url, issuer, audience
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._refetch_interval, self._max_age, self._max_stale = (
            refetch_interval_s, max_age_s, max_stale_s)
        self._clock = clock
        self._verified: dict[str, tuple[Principal, float, str | None]] = {}

    async def _keyset(self, kid: str | None) -> KeySet:
        known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
        age = self._clock() - self._fetched_at
        if self._keys is None or age > self._max_age or (not known and
                                                         age > self._refetch_interval):
            try:
                self._keys = KeySet.import_key_set(await self.fetch_jwks())
                self._fetched_at = self._clock()
            except httpx.HTTPError:
                if self._keys is None or age > self._max_age + self._max_stale:
                    raise
        return self._keys

    async def fetch_jwks(self) -> Any:  # a JWK Set as JSON; KeySet checks its shape
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self._jwks_url)
            response.raise_for_status()
        return response.json()

    async def verify(self, token: str) -> Principal:
        """Verified tokens are remembered until they expire (a client sends the same token
        for minutes, and an ES256 verification is most of a request's cost), as long as the
        key that signed them is still in the current key set."""
        if (known := self._verified.get(token)) is not None:
            principal, expires_at, kid = known
            if time.time() < expires_at and any(
                    k.kid == kid for k in (await self._keyset(kid)).keys):
                return principal
            del self._verified[token]
        principal, expires_at, kid = await self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest
        self._verified[token] = (principal, expires_at, kid)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float, str | None]:
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
            decoded = jwt.decode(token, await self._keyset(kid), algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._audience},
                sub={"essential": True}, exp={"essential": True},
            ).validate(decoded.claims)
            claims = decoded.claims
            return Principal(subject=claims["sub"], kind=claims["kind"],
                             loa=claims.get("loa", 0), units=claims.get("units") or {},
                             issued_at=claims.get("iat"), listed_unit=claims.get("listed_unit")
                             ), float(claims["exp"]), kid
        except (JoseError, ValueError, KeyError, ValidationError) as exc:
            raise InvalidToken(type(exc).__name__) from exc


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify(token)
        # Services that project the staff catalogue (shared.staff_access) narrow staff to
        # their current units and roles and refuse revoked people's tokens.
        access = getattr(request.app.state, "staff_access", None)
        if access is not None and principal.kind == "staff":
            principal = await access.authorize(principal)
        return principal
    except InvalidToken as exc:
        raise HTTPException(401, f"invalid token ({exc})",
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    except httpx.HTTPError as exc:
        raise HTTPException(503, "identity keys unavailable") from exc


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def current_patient(principal: PrincipalDep) -> Principal:
    if principal.kind != "patient":
        raise HTTPException(403, "patients only")
    return principal


async def current_patient_eid(principal: PrincipalDep) -> Principal:
    """Reading content or sending requires e-ID, as on 1177 (enforced here, not in the UI)."""
    principal = await current_patient(principal)
    if principal.loa < LOA_EID:
        raise HTTPException(403, "this requires logging in with e-ID")
    return principal


async def current_staff(principal: PrincipalDep) -> Principal:
    if principal.kind != "staff":
        raise HTTPException(403, "staff only")
    return principal


PatientDep = Annotated[Principal, Depends(current_patient)]
PatientEidDep = Annotated[Principal, Depends(current_patient_eid)]
StaffDep = Annotated[Principal, Depends(current_staff)]


def require_internal_key(expected: str, presented: str | None) -> None:
    """Service-to-service calls inside the deployment (e.g. notifier asking for a contact)."""
    if not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
        raise HTTPException(401, "internal API key required")


# RFC 8707 resource indicators: a token request names the service it wants a token for as
# an absolute URI; the token's `aud` is the service's short name, as services verify it.
RESOURCE_PREFIX = "urn:mina-vardkontakter:"


def resource_indicator(audience: str) -> str:
    return RESOURCE_PREFIX + audience


def audience_of_resource(resource: str) -> str | None:
    return resource[len(RESOURCE_PREFIX):] if resource.startswith(RESOURCE_PREFIX) else None

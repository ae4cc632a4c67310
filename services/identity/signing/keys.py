"""Token signing keys: ES256 (P-256) JWKs whose private half is stored wrapped by the KEK.

Rotation adds a key and retires the old one; a retired key stays in the JWKS until every
token it signed has expired, so rotating never logs anyone out. Replicas read the active
key from the table at signing time, so a rotation by one replica reaches all of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import Connection, Row, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.tables import signing_keys
from shared.crypto.keyring import KeyWrapper
from shared.ids import uuid7

ALGORITHM = "ES256"
_PUBLIC_FIELDS = ("kty", "crv", "x", "y", "kid", "use", "alg")
_ROTATION_LOCK = 7342102  # replicas starting together create or rotate one key, not two


def generate_key() -> ECKey:
    kid = f"identity-{uuid7()}"
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM},
                              private=True)


def public_jwk(key: ECKey) -> dict[str, Any]:
    # Whitelist rather than trusting as_dict(private=False): "d" must never be served.
    exported = key.as_dict(private=False)
    return {name: exported[name] for name in _PUBLIC_FIELDS if name in exported}


def wrap_private(wrapper: KeyWrapper, key: ECKey) -> bytes:
    # private=True is required: as_dict() alone exports only the public half.
    return wrapper.wrap(str(key.kid), json.dumps(key.as_dict(private=True)).encode())


def unwrap_private(wrapper: KeyWrapper, kid: str, wrapped: bytes) -> ECKey:
    key = ECKey.import_key(json.loads(wrapper.unwrap(kid, wrapped)))
    if not key.is_private:
        raise ValueError(f"signing key {kid} has no private half")
    return key


def sign(claims: dict[str, Any], key: ECKey) -> str:
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}  # RFC 9068 access token
    return jwt.encode(header, claims, key)


class SigningKeys:
    def __init__(self, wrapper: KeyWrapper, *, grace: timedelta) -> None:
        self._wrapper = wrapper
        self._grace = grace  # how long a retired key keeps verifying: the token lifetime
        self._private: dict[str, ECKey] = {}

    async def rotate(self, conn: AsyncConnection, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        key = generate_key()
        kid = str(key.kid)
        await conn.execute(update(signing_keys).where(signing_keys.c.state == "active")
                           .values(state="retired", retired_at=now))
        await conn.execute(signing_keys.insert().values(
            kid=kid, public_jwk=public_jwk(key), state="active", created_at=now,
            wrapped_private_jwk=wrap_private(self._wrapper, key)))
        self._private[kid] = key
        return kid

    async def ensure_active(self, conn: AsyncConnection, max_age: timedelta) -> str:
        """First start: create a key. Later starts: rotate once the active key is too old."""
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ROTATION_LOCK})
        row = await self._active_row(conn)
        if row is None or row.created_at < datetime.now(UTC) - max_age:
            return await self.rotate(conn)
        return str(row.kid)

    async def active_key(self, conn: AsyncConnection) -> ECKey:
        return self._private_of(await self._active_row(conn))

    def active_key_sync(self, conn: Connection) -> ECKey:
        """active_key for the OpenID Provider's synchronous (authlib) code paths."""
        return self._private_of(conn.execute(_active_query()).first())

    def _private_of(self, row: Row[Any] | None) -> ECKey:
        if row is None:
            raise RuntimeError("no active signing key; identity has not finished starting")
        kid = str(row.kid)
        if kid not in self._private:
            self._private[kid] = unwrap_private(self._wrapper, kid, row.wrapped_private_jwk)
        return self._private[kid]

    async def jwks(self, conn: AsyncConnection) -> dict[str, list[dict[str, Any]]]:
        """Public keys of the active key and of retired keys that may still verify a token."""
        rows = (await conn.execute(self._jwks_query())).scalars()
        return {"keys": [{k: v for k, v in jwk.items() if k in _PUBLIC_FIELDS} for jwk in rows]}

    def jwks_sync(self, conn: Connection) -> dict[str, list[dict[str, Any]]]:
        rows = conn.execute(self._jwks_query()).scalars()
        return {"keys": [{k: v for k, v in jwk.items() if k in _PUBLIC_FIELDS} for jwk in rows]}

    def _jwks_query(self) -> Any:
        cutoff = datetime.now(UTC) - self._grace
        return (select(signing_keys.c.public_jwk)
                .where(or_(signing_keys.c.state == "active", signing_keys.c.retired_at > cutoff))
                .order_by(signing_keys.c.created_at.desc()))

    async def _active_row(self, conn: AsyncConnection) -> Row[Any] | None:
        return (await conn.execute(_active_query())).first()


def _active_query() -> Any:
    return (select(signing_keys).where(signing_keys.c.state == "active")
            .order_by(signing_keys.c.created_at.desc()).limit(1))

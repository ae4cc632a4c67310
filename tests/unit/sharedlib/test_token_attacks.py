"""Token attacks every data-owning service rejects (shared.auth.TokenVerifier)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from bench.tokens import SIGNING, LocalVerifier, claims, sign
from shared.auth import InvalidToken

OTHER = ECKey.generate_key("P-256", parameters={"kid": "k1"})  # same kid, wrong key


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_valid_token_is_accepted():
    principal = await LocalVerifier([SIGNING]).verify(sign(claims()))
    assert (principal.subject, principal.kind, principal.loa) == ("p-1", "patient", 3)


ATTACKS = {
    "alg none": lambda: f"{b64({'alg': 'none', 'kid': 'k1'})}.{b64(claims())}.",
    "wrong key": lambda: sign(claims(), OTHER),
    "expired": lambda: sign(claims(exp=int(time.time()) - 60)),
    "not yet valid": lambda: sign(claims(nbf=int(time.time()) + 600)),
    "wrong audience": lambda: sign(claims(aud="careunit-mailbox")),
    "wrong issuer": lambda: sign(claims(iss="http://evil.test")),
    "no subject": lambda: sign(claims(sub=None)),
    "no expiry": lambda: sign(claims(exp=None)),
    "tampered claims": lambda: _tampered(),
    "HS256 with the public key as secret": lambda: jwt.encode(
        {"alg": "HS256", "kid": "k1"}, claims(),
        OctKey.import_key(json.dumps(SIGNING.as_dict(private=False)).encode()),
        algorithms=["HS256"]),
    "garbage": lambda: "not.a.token",
}


def _tampered() -> str:
    header, _, signature = sign(claims(loa=2)).split(".")
    return f"{header}.{b64(claims(loa=3))}.{signature}"


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
async def test_attack_is_rejected(attack):
    with pytest.raises(InvalidToken):
        await LocalVerifier([SIGNING]).verify(ATTACKS[attack]())


async def test_unknown_key_id_triggers_one_refetch_so_rotation_logs_nobody_out():
    new_key = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    verifier = LocalVerifier([SIGNING])
    await verifier.verify(sign(claims()))
    verifier.published = [SIGNING, new_key]
    verifier._fetched_at = 0  # past the refetch interval
    principal = await verifier.verify(sign(claims(), new_key, kid="k2"))
    assert principal.subject == "p-1" and verifier.fetches == 2
    await verifier.verify(sign(claims()))  # the old key still works
    assert verifier.fetches == 2


class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_retired_signing_key_stops_verifying_once_the_cached_key_set_expires():
    import httpx

    retiring = ECKey.generate_key("P-256", parameters={"kid": "old"})
    current = ECKey.generate_key("P-256", parameters={"kid": "new"})
    clock = Clock()
    verifier = LocalVerifier([retiring, current])
    verifier._clock = clock
    old_token = sign(claims(), retiring, kid="old")
    assert (await verifier.verify(old_token)).subject == "p-1"
    verifier.published = [current]  # identity retires the old key
    clock.now += 60
    assert (await verifier.verify(old_token)).subject == "p-1"  # cached for a while
    clock.now += 300  # past the key set's lifetime: refetched, the old key is gone
    with pytest.raises(InvalidToken):
        await verifier.verify(old_token)
    assert (await verifier.verify(sign(claims(), current, kid="new"))).subject == "p-1"

    async def identity_down() -> dict:
        raise httpx.ConnectError("refused")

    verifier.fetch_jwks = identity_down  # while identity is away the set is used a while...
    clock.now += 400
    assert (await verifier.verify(sign(claims(), current, kid="new"))).subject == "p-1"
    clock.now += 1000  # ...but not for ever
    with pytest.raises(httpx.HTTPError):
        await verifier.verify(sign(claims(), current, kid="new"))

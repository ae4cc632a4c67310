"""A verified token is remembered (no second ES256 verification), but never past its expiry
and never once the key that signed it has left identity's key set."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import ECKey

from shared.auth import InvalidToken
from tests.unit.sharedlib.test_token_attacks import SIGNING, LocalVerifier, claims, sign


def counting(verifier: LocalVerifier) -> list[str]:
    calls: list[str] = []
    inner = verifier._verify

    async def wrapped(token: str):
        calls.append(token)
        return await inner(token)
    verifier._verify = wrapped  # type: ignore[method-assign]
    return calls


async def test_the_same_token_is_verified_once():
    verifier = LocalVerifier([SIGNING])
    calls = counting(verifier)
    token = sign(claims())
    first, second = await verifier.verify(token), await verifier.verify(token)
    assert first == second and len(calls) == 1
    await verifier.verify(sign(claims(sub="p-2")))
    assert len(calls) == 2


async def test_a_remembered_token_expires(monkeypatch):
    verifier = LocalVerifier([SIGNING])
    token = sign(claims(exp=int(time.time()) + 30))
    await verifier.verify(token)
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_remembered_token_fails_once_its_key_is_retired():
    verifier = LocalVerifier([SIGNING])
    token = sign(claims())
    await verifier.verify(token)
    verifier.published = [ECKey.generate_key("P-256", parameters={"kid": "k2"})]
    verifier._clock = lambda: time.monotonic() + 3600  # the key set is due for a refetch
    with pytest.raises(InvalidToken):
        await verifier.verify(token)

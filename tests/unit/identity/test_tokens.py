"""Tokens signed by identity verify with shared.auth.TokenVerifier; the JWKS is public only."""

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity import domain
from services.identity.signing import keys
from shared import auth
from shared.crypto.keyring import KeyWrapper

ISSUER = "http://127.0.0.1:8001"


@pytest.fixture
def key():
    return keys.generate_key()


@pytest.fixture
def serve_jwks(monkeypatch, key):
    """shared.auth fetches the JWKS with httpx: answer from memory instead of the network."""
    jwks = {"keys": [keys.public_jwk(key)]}

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == f"{ISSUER}/.well-known/jwks.json"
        return httpx.Response(200, json=jwks)

    real_client = httpx.AsyncClient
    monkeypatch.setattr(auth.httpx, "AsyncClient",
                        lambda **kw: real_client(transport=httpx.MockTransport(handler), **kw))


def _token(key, who: domain.Subject, audience: str, **overrides) -> str:
    claims = domain.access_claims(who, issuer=ISSUER, audience=audience,
                                  now=datetime.now(UTC), ttl_s=900, jti="j") | overrides
    return keys.sign(claims, key)


def _verifier(audience: str) -> auth.TokenVerifier:
    return auth.TokenVerifier(jwks_url=f"{ISSUER}/.well-known/jwks.json", issuer=ISSUER,
                              audience=audience)


async def test_staff_token_verifies_with_shared_verifier(key, serve_jwks) -> None:
    who = domain.staff_subject("s-1", "doctor", {"SE-U1": ["clinician"]})
    principal = await _verifier("careunit-mailbox").verify(
        _token(key, who, "careunit-mailbox"))
    assert principal.subject == "s-1" and principal.kind == "staff" and principal.loa == 3
    assert principal.has_role("SE-U1", "clinician")


async def test_patient_token_verifies_with_password_loa(key, serve_jwks) -> None:
    principal = await _verifier("patient-mailbox").verify(
        _token(key, domain.patient_subject("p-1", loa=2), "patient-mailbox"))
    assert (principal.kind, principal.loa, principal.units) == ("patient", 2, {})
    assert principal.listed_unit is None


async def test_patient_token_names_the_unit_the_patient_is_listed_at(key, serve_jwks) -> None:
    who = domain.patient_subject("p-1", listed_unit="SE-U1")
    principal = await _verifier("patient-mailbox").verify(_token(key, who, "patient-mailbox"))
    assert principal.listed_unit == "SE-U1"


@pytest.mark.parametrize("audience, overrides", [
    ("forms", {}),  # token for another audience
    ("patient-mailbox", {"iss": "http://evil.example"}),
    ("patient-mailbox", {"exp": 1}),
])
async def test_wrong_audience_issuer_or_expired_is_refused(key, serve_jwks, audience,
                                                           overrides) -> None:
    token = _token(key, domain.patient_subject("p-1"), audience, **overrides)
    with pytest.raises(auth.InvalidToken):
        await _verifier("patient-mailbox").verify(token)


def test_header_names_key_and_algorithm(key) -> None:
    token = _token(key, domain.patient_subject("p-1"), "identity")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}


def test_public_jwk_has_no_private_fields(key) -> None:
    jwk = keys.public_jwk(key)
    assert "d" in key.as_dict(private=True)
    assert set(jwk) <= {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["kid"] == key.kid


def test_private_key_survives_wrapping_and_signs_after_unwrap(key) -> None:
    wrapper = KeyWrapper(b"k" * 32)
    blob = keys.wrap_private(wrapper, key)
    assert b'"d"' not in blob  # stored encrypted, not as a readable JWK
    restored = keys.unwrap_private(wrapper, str(key.kid), blob)
    assert restored.is_private and restored.kid == key.kid
    token = keys.sign({"sub": "x"}, restored)
    ks = KeySet.import_key_set({"keys": [keys.public_jwk(key)]})
    assert jwt.decode(token, ks, algorithms=["ES256"]).claims == {"sub": "x"}


def test_unwrap_refuses_a_key_moved_to_another_kid(key) -> None:
    wrapper = KeyWrapper(b"k" * 32)
    with pytest.raises(InvalidTag):
        keys.unwrap_private(wrapper, "another-kid", keys.wrap_private(wrapper, key))

"""The external OIDC e-ID broker adapter against a fake broker (httpx.MockTransport): the
authorization request it builds, and which id tokens it believes."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from services.identity.eid import EidError
from services.identity.eid.oidc_broker import AssuranceTooLow, OidcBroker

BROKER = "https://broker.example"
CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
RETURN = "https://id.vard.example/login/eid/return/broker"
KEY = ECKey.generate_key("P-256", parameters={"kid": "b1"}, private=True)
OTHER_KEY = ECKey.generate_key("P-256", parameters={"kid": "b1"}, private=True)


class FakeBroker:
    def __init__(self) -> None:
        self.claims: dict = {}
        self.key = KEY
        self.token_requests: list[httpx.Request] = []
        self.challenge = ""

    def id_token(self) -> str:
        now = int(time.time())
        claims = {"iss": BROKER, "aud": "mvk", "sub": "x", "iat": now, "exp": now + 60,
                  CLAIM: "191212121212", "acr": "http://id.elegnamnden.se/loa/1.0/loa3",
                  **self.claims}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "ES256", "kid": "b1"}, claims, self.key)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={
                "issuer": BROKER, "authorization_endpoint": f"{BROKER}/auth",
                "token_endpoint": f"{BROKER}/token", "jwks_uri": f"{BROKER}/jwks"})
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [KEY.as_dict(private=False)]})
        if path == "/token":
            self.token_requests.append(request)
            form = parse_qs(request.content.decode())
            verifier = form["code_verifier"][0]
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if digest.rstrip(b"=").decode() != self.challenge or form["code"] != ["c0de"]:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer",
                                             "id_token": self.id_token()})
        return httpx.Response(404)


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


def adapter(broker: FakeBroker) -> OidcBroker:
    return OidcBroker(issuer=BROKER, client_id="mvk", client_secret="s3cret",
                      scope="openid https://id.oidc.se/scope/naturalPersonNumber",
                      personnummer_claim=CLAIM, return_url=RETURN,
                      transport=httpx.MockTransport(broker))


async def started(broker: FakeBroker, eid: OidcBroker) -> tuple[dict, dict]:
    start = await eid.begin("req-1")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.redirect_url).query).items()}
    broker.challenge = query["code_challenge"]
    broker.claims.setdefault("nonce", query["nonce"])
    return start.state, query


async def test_authorization_request_has_pkce_state_nonce_and_exact_return(broker) -> None:
    eid = adapter(broker)
    state, query = await started(broker, eid)
    assert query["code_challenge_method"] == "S256" and query["redirect_uri"] == RETURN
    assert query["client_id"] == "mvk" and query["response_type"] == "code"
    assert query["state"] == state["state"] and eid.request_id(query) == "req-1"
    assert query["nonce"] == state["nonce"] and "verifier" not in query
    assert query["acr_values"] == "http://id.elegnamnden.se/loa/1.0/loa3"


@pytest.mark.parametrize("acr", [None, "", "http://id.elegnamnden.se/loa/1.0/loa2",
                                 "urn:some:other:level"])
async def test_a_token_without_the_assurance_level_asked_for_is_refused(broker, acr) -> None:
    eid = adapter(broker)
    state, query = await started(broker, eid)
    broker.claims["acr"] = acr  # None: no acr claim at all
    with pytest.raises(AssuranceTooLow):
        await eid.complete(state, {"code": "c0de", "state": query["state"]})


async def test_a_higher_level_passes_and_a_stricter_requirement_refuses_loa3(broker) -> None:
    broker.claims["acr"] = "http://id.elegnamnden.se/loa/1.0/loa4"
    state, query = await started(broker, adapter(broker))
    assert (await adapter(broker).complete(state, {"code": "c0de", "state": query["state"]}))
    strict = OidcBroker(issuer=BROKER, client_id="mvk", client_secret="s3cret", scope="openid",
                        personnummer_claim=CLAIM, return_url=RETURN,
                        acr="http://id.elegnamnden.se/loa/1.0/loa4",
                        transport=httpx.MockTransport(broker))
    broker.claims = {"acr": "http://id.elegnamnden.se/loa/1.0/loa3"}  # and a new nonce
    state, query = await started(broker, strict)
    assert query["acr_values"] == "http://id.elegnamnden.se/loa/1.0/loa4"
    with pytest.raises(AssuranceTooLow):
        await strict.complete(state, {"code": "c0de", "state": query["state"]})


async def test_a_good_return_gives_the_personnummer(broker) -> None:
    eid = adapter(broker)
    state, query = await started(broker, eid)
    who = await eid.complete(state, {"code": "c0de", "state": query["state"]})
    assert (who.personnummer, who.loa, who.provider) == ("191212121212", 3, "broker")
    auth = broker.token_requests[0].headers["authorization"]
    assert base64.b64decode(auth.split()[1]) == b"mvk:s3cret"  # client_secret_basic


@pytest.mark.parametrize("claims", [
    {"nonce": "another"}, {"aud": "someone-else"}, {"iss": "https://evil.example"},
    {"exp": int(time.time()) - 120}, {CLAIM: "191212121213"}, {CLAIM: None},
    {"acr": "http://id.elegnamnden.se/loa/1.0/loa2"},
])
async def test_id_tokens_that_are_not_for_us_are_refused(broker, claims) -> None:
    eid = adapter(broker)
    state, query = await started(broker, eid)
    broker.claims.update(claims)
    with pytest.raises(EidError):
        await eid.complete(state, {"code": "c0de", "state": query["state"]})


async def test_wrong_signature_state_or_an_error_answer_is_refused(broker) -> None:
    eid = adapter(broker)
    state, query = await started(broker, eid)
    with pytest.raises(EidError):
        await eid.complete(state, {"code": "c0de", "state": query["state"] + "x"})
    with pytest.raises(EidError):
        await eid.complete(state, {"error": "access_denied", "state": query["state"]})
    with pytest.raises(EidError):
        await eid.complete(state, {"code": "wrong", "state": query["state"]})
    broker.key = OTHER_KEY  # same kid, another key: a forged token
    with pytest.raises(EidError):
        await eid.complete(state, {"code": "c0de", "state": query["state"]})


async def test_unreachable_broker_is_an_eid_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")
    eid = OidcBroker(issuer=BROKER, client_id="mvk", client_secret="s", scope="openid",
                     personnummer_claim=CLAIM, return_url=RETURN,
                     transport=httpx.MockTransport(down))
    with pytest.raises(EidError):
        await eid.begin("req-1")

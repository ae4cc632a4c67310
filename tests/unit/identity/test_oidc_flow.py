"""The authorization code flow end to end against the provider (SQLite, no network): PKCE,
single-use codes, exact redirect URIs, client authentication, id tokens."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from services.identity.oidc import store
from services.identity.oidc.tables import codes, refresh_tokens, sessions
from tests.unit.identity.oidc_support import (
    GATEWAY_REDIRECT,
    GATEWAY_SECRET,
    ISSUER,
    TEST_REDIRECT,
    World,
    authorize_params,
    client,
    code_from,
    exchange,
    logged_in,
    pkce,
    refresh,
    staff_login,
    world,
)


@pytest.fixture
def w() -> World:
    return world()


def claims(w: World, token: str) -> dict:
    return dict(jwt.decode(token, KeySet.import_key_set(w.door.provider.jwks()),
                           algorithms=["ES256"]).claims)


def header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def test_code_flow_gives_access_refresh_and_id_token(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    response = exchange(c, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer" and 0 < token["expires_in"] <= 300
    access = claims(w, token["access_token"])
    assert header(token["access_token"])["typ"] == "at+jwt"
    assert (access["iss"], access["sub"], access["aud"]) == (ISSUER, w.staff_id, "identity")
    assert (access["kind"], access["loa"], access["units"]) == ("staff", 3, {"U1": ["clinician"]})
    assert access["exp"] - access["iat"] <= 300 and access["jti"]
    ident = claims(w, token["id_token"])
    assert (ident["aud"], ident["sub"], ident["nonce"]) == ("test-client", w.staff_id,
                                                           params["nonce"])
    assert ident["sid"] and ident["amr"] == ["pwd", "otp", "mfa"] and "at_hash" in ident
    assert token["refresh_token"] and len(token["refresh_token"]) >= 43


def test_userinfo_answers_for_an_identity_token(w: World) -> None:
    c = client(w)
    token = logged_in(c)
    info = c.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json() == {"sub": w.staff_id, "kind": "staff", "loa": 3,
                           "units": {"U1": ["clinician"]}}
    assert c.get("/userinfo").status_code == 401
    other = refresh(c, token["refresh_token"], "forms").json()["access_token"]
    assert c.get("/userinfo", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_wrong_or_missing_pkce_verifier_fails(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    wrong = exchange(c, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The failed attempt used the code up: the right verifier is too late now.
    assert exchange(c, code, verifier).json()["error"] == "invalid_grant"
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    missing = c.post("/token", data={"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": TEST_REDIRECT, "client_id": "test-client"})
    assert missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize("change", [
    {"code_challenge": ""}, {"code_challenge_method": "plain"}, {"code_challenge_method": ""},
    {"code_challenge": "short"},
])
def test_authorize_requires_s256_pkce(w: World, change: dict) -> None:
    params = {k: v for k, v in (authorize_params(pkce()[1]) | change).items() if v}
    response = client(w).get("/authorize", params=params)
    assert response.status_code == 302  # the client and redirect URI are genuine: tell it
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == [params["state"]]


def test_code_works_once_and_reuse_revokes_what_it_gave(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    first = exchange(c, code, verifier)
    assert first.status_code == 200
    second = exchange(c, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert refresh(c, first.json()["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("redirect_uri", [
    TEST_REDIRECT + "/", TEST_REDIRECT + "?x=1", TEST_REDIRECT.upper(),
    "http://127.0.0.1/test-client/callbackx", "https://evil.example/cb", GATEWAY_REDIRECT,
])
def test_redirect_uri_must_match_exactly_and_errors_never_redirect_there(
        w: World, redirect_uri: str) -> None:
    params = authorize_params(pkce()[1], redirect_uri=redirect_uri)
    response = client(w).get("/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers
    assert '<html lang="sv"' in response.text


def test_token_request_must_repeat_the_same_redirect_uri(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    response = exchange(c, code, verifier, redirect_uri=TEST_REDIRECT + "/other")
    assert response.json()["error"] == "invalid_grant"


def test_unknown_client_gets_an_error_page(w: World) -> None:
    response = client(w).get("/authorize", params=authorize_params(pkce()[1],
                                                                   client_id="nobody"))
    assert response.status_code == 400 and "location" not in response.headers


def test_confidential_client_must_authenticate(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge, client_id="gateway", redirect_uri=GATEWAY_REDIRECT)
    code = code_from(staff_login(c, params), params)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": GATEWAY_REDIRECT,
            "code_verifier": verifier}
    public = c.post("/token", data={**body, "client_id": "gateway"})
    assert public.status_code == 401 and public.json()["error"] == "invalid_client"
    wrong = c.post("/token", data=body, auth=("gateway", "not-the-secret"))
    assert wrong.status_code == 401
    ok = c.post("/token", data=body, auth=("gateway", GATEWAY_SECRET))
    assert ok.status_code == 200, ok.text
    assert claims(w, ok.json()["id_token"])["aud"] == "gateway"


def test_code_of_one_client_is_useless_to_another(w: World) -> None:
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge, client_id="gateway", redirect_uri=GATEWAY_REDIRECT)
    code = code_from(staff_login(c, params), params)
    stolen = c.post("/token", data={"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": GATEWAY_REDIRECT, "client_id": "test-client",
                                    "code_verifier": verifier})
    assert stolen.json()["error"] == "invalid_grant"


def test_repeated_parameters_are_refused(w: World) -> None:
    response = client(w).post("/token", content=b"grant_type=refresh_token&grant_type=x",
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_discovery_names_the_endpoints() -> None:
    from services.identity.oidc.discovery import oidc_metadata
    meta = oidc_metadata(ISSUER, "https://login.example")
    assert meta["authorization_endpoint"] == "https://login.example/authorize"
    assert meta["token_endpoint"] == f"{ISSUER}/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token"} == set(meta["grant_types_supported"])
    assert meta["revocation_endpoint"] and meta["end_session_endpoint"]


def test_plain_http_is_refused_in_production() -> None:
    prod = world(environment="production", identity_url="http://identity.internal:8001")
    c = TestClient(prod.app, base_url="http://identity.internal:8001")
    response = c.post("/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                      "client_id": "gateway"})
    assert response.status_code == 400 and response.json()["error"] == "insecure_transport"


def test_expired_rows_are_purged(w: World) -> None:
    logged_in(client(w))
    with w.db.begin() as conn:
        store.purge_expired(conn, timedelta(days=1))
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == 1
        store.purge_expired(conn, timedelta(days=-2))  # as if two days had passed
        for table in (codes, refresh_tokens, sessions):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0

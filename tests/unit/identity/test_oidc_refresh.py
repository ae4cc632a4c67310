"""Refresh tokens: rotation, reuse detection (the whole family is revoked), one audience per
token via RFC 8707 resources, revocation (RFC 7009), logout, and the catalogue as it is now."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from services.identity import tables
from services.identity.catalogue.tables import catalogue_staff
from services.identity.oidc import store
from services.identity.oidc.tables import refresh_tokens, sessions
from tests.unit.identity.oidc_support import World, client, logged_in, refresh, world


@pytest.fixture
def w() -> World:
    return world()


def aud(w: World, token: str) -> str:
    keyset = KeySet.import_key_set(w.door.provider.jwks())
    return str(jwt.decode(token, keyset, algorithms=["ES256"]).claims["aud"])


def test_refresh_rotates_and_mints_one_token_per_resource(w: World) -> None:
    c = client(w)
    current = logged_in(c)["refresh_token"]
    seen = {current}
    for audience in ("patient-mailbox", "careunit-mailbox", "forms", "audit", "identity"):
        response = refresh(c, current, audience)
        assert response.status_code == 200, response.text
        body = response.json()
        assert aud(w, body["access_token"]) == audience
        assert body["refresh_token"] not in seen  # a new one every time
        current = body["refresh_token"]
        seen.add(current)
    with w.db.connect() as conn:
        stored = set(conn.execute(select(refresh_tokens.c.token_hash)).scalars())
    assert not seen & stored and {store.digest(t) for t in seen} == stored  # hashes only


def test_reusing_a_refresh_token_revokes_the_whole_family(w: World) -> None:
    c = client(w)
    first = logged_in(c)["refresh_token"]
    second = refresh(c, first).json()["refresh_token"]
    third = refresh(c, second).json()["refresh_token"]
    replay = refresh(c, first)  # e.g. a stolen copy, used after the owner refreshed
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(c, third).json()["error"] == "invalid_grant"  # the newest one dies too
    with w.db.connect() as conn:
        assert conn.execute(select(sessions.c.revoked_reason)).scalar() == "refresh_token_reuse"


@pytest.mark.parametrize("resource", ["urn:mina-vardkontakter:nope", "https://forms.example",
                                      "patient-mailbox"])
def test_unknown_resource_is_invalid_target_and_burns_nothing(w: World, resource: str) -> None:
    c = client(w)
    token = logged_in(c)["refresh_token"]
    response = c.post("/token", data={"grant_type": "refresh_token", "refresh_token": token,
                                      "client_id": "test-client", "resource": resource})
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"
    assert refresh(c, token).status_code == 200  # a bad request did not use the token up


def test_two_resources_in_one_request_are_refused(w: World) -> None:
    c = client(w)
    token = logged_in(c)["refresh_token"]
    response = c.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": "test-client",
        "resource": ["urn:mina-vardkontakter:forms", "urn:mina-vardkontakter:audit"]})
    assert response.json()["error"] == "invalid_target"


def test_revocation_ends_the_login(w: World) -> None:
    c = client(w)
    token = logged_in(c)["refresh_token"]
    newer = refresh(c, token).json()["refresh_token"]
    response = c.post("/revoke", data={"token": newer, "token_type_hint": "refresh_token",
                                       "client_id": "test-client"})
    assert response.status_code == 200
    assert refresh(c, newer).json()["error"] == "invalid_grant"
    # Unknown tokens: 200 all the same (RFC 7009 §2.2), nothing to learn from the answer.
    assert c.post("/revoke", data={"token": "nonsense", "client_id": "test-client"}
                  ).status_code == 200


def test_another_client_cannot_revoke_or_use_the_token(w: World) -> None:
    from tests.unit.identity.oidc_support import GATEWAY_SECRET
    c = client(w)
    token = logged_in(c)["refresh_token"]
    revoke = c.post("/revoke", data={"token": token}, auth=("gateway", GATEWAY_SECRET))
    assert revoke.status_code == 400
    used = c.post("/token", data={"grant_type": "refresh_token", "refresh_token": token},
                  auth=("gateway", GATEWAY_SECRET))
    assert used.json()["error"] == "invalid_grant"
    # A token shown to the wrong client counts as stolen: its login is over.
    assert refresh(c, token).json()["error"] == "invalid_grant"


def test_logout_with_id_token_hint_revokes_the_session(w: World) -> None:
    c = client(w)
    token = logged_in(c)
    response = c.get("/logout", params={"id_token_hint": token["id_token"]})
    assert response.status_code == 200 and "utloggad" in response.text
    assert refresh(c, token["refresh_token"]).json()["error"] == "invalid_grant"


def test_logout_hint_must_be_signed_by_us(w: World) -> None:
    c = client(w)
    token = logged_in(c)
    head, body, _ = token["id_token"].split(".")
    forged = f"{head}.{body}.{'A' * 86}"
    assert c.get("/logout", params={"id_token_hint": forged}).status_code == 400
    assert refresh(c, token["refresh_token"]).status_code == 200


def test_refresh_reads_the_catalogue_now(w: World) -> None:
    c = client(w)
    token = logged_in(c)["refresh_token"]
    with w.db.begin() as conn:
        conn.execute(update(tables.memberships).values(roles=["message_administrator"]))
    body = refresh(c, token, "careunit-mailbox").json()
    keyset = KeySet.import_key_set(w.door.provider.jwks())
    units = jwt.decode(body["access_token"], keyset, algorithms=["ES256"]).claims["units"]
    assert units == {"U1": ["message_administrator"]}
    with w.db.begin() as conn:  # revoked in the catalogue: no more tokens
        conn.execute(update(catalogue_staff).values(active=False))
    assert refresh(c, body["refresh_token"]).json()["error"] == "invalid_grant"


def test_catalogue_revocation_hook_ends_sessions(w: World) -> None:
    c = client(w)
    token = logged_in(c)["refresh_token"]
    with w.db.begin() as conn:
        conn.execute(store.revoke_subject_sessions(w.staff_id, "staff_revoked"))
    assert refresh(c, token).json()["error"] == "invalid_grant"


def test_expired_refresh_token_is_refused(w: World) -> None:
    from datetime import UTC, datetime, timedelta
    c = client(w)
    token = logged_in(c)["refresh_token"]
    with w.db.begin() as conn:
        conn.execute(update(refresh_tokens).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert refresh(c, token).json()["error"] == "invalid_grant"

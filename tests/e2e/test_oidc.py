"""identity's OpenID Provider against the running system, without a browser: the code flow
with PKCE through the real login pages, one token per service, refresh rotation and reuse
detection, logout and revocation, and the gateway as the confidential client keeping the
tokens in its session."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e import inspect, oidc_flow
from tests.e2e.oidc_flow import Browser, tokens_for_all
from tests.e2e.support import SEED, Person, eventually, staff_of
from tests.htmlforms import form

pytestmark = pytest.mark.e2e

UNIT = SEED["care_units"][0]["unit_id"]
PATIENT = SEED["patients"][3]["personnummer"]


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client


@pytest.fixture
async def identity(stack, http):
    return await oidc_flow.identity_url(http)


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_discovery_describes_the_provider(http, identity) -> None:
    meta = (await http.get("/api/identity/.well-known/openid-configuration")).json()
    assert meta["issuer"] == identity
    for name in ("authorization", "token", "revocation", "end_session", "userinfo"):
        assert meta[f"{name}_endpoint"].startswith(identity)
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    keys = (await http.get("/api/identity/.well-known/jwks.json")).json()["keys"]
    assert keys and all("d" not in k for k in keys)


async def test_code_flow_gives_one_token_per_service_that_the_services_accept(http) -> None:
    admin = await Person.login(http, hsa_id=staff_of(UNIT, "message_administrator")[0]["hsa_id"])
    assert {claims(t)["aud"] for t in admin.tokens.values()} == {
        "patient-mailbox", "careunit-mailbox", "forms", "audit", "identity"}
    for token in admin.tokens.values():
        c = claims(token)
        assert (c["sub"], c["kind"], c["loa"]) == (admin.id, "staff", 3)
        assert c["exp"] - c["iat"] <= 300 and UNIT in c["units"]
    assert (await admin.unit("GET", f"/v1/units/{UNIT}/messages")).status_code == 200
    me = await http.get("/api/identity/v1/me",
                        headers={"Authorization": f"Bearer {admin.tokens['identity']}"})
    assert me.status_code == 200 and me.json()["subject"] == admin.id
    patient = await Person.login(http, personnummer=PATIENT)
    assert claims(patient.tokens["patient-mailbox"])["loa"] == 3
    assert (await patient.patient("GET", "/v1/conversations")).status_code == 200
    # A token for one service is refused by another.
    wrong = await http.get(f"/api/careunit/v1/units/{UNIT}/messages",
                           headers={"Authorization": f"Bearer {admin.tokens['forms']}"})
    assert wrong.status_code == 401


async def test_refresh_rotates_and_a_reused_token_ends_the_login(http, identity) -> None:
    async with Browser(identity) as browser:
        tokens = await tokens_for_all(browser, browser.code(await browser.test_eid(PATIENT)))
        first = tokens.refresh_token
        second = (await browser.refresh(first)).json()
        assert second["refresh_token"] != first
        third = (await browser.refresh(second["refresh_token"], "forms")).json()
        assert claims(third["access_token"])["aud"] == "forms"
        reused = await browser.refresh(first)  # an old one again: someone has a copy
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        newest = await browser.refresh(third["refresh_token"])
        assert newest.status_code == 400 and newest.json()["error"] == "invalid_grant"


async def test_wrong_pkce_verifier_or_a_second_use_of_the_code_fails(http, identity) -> None:
    async with Browser(identity) as browser:
        code = browser.code(await browser.test_eid(PATIENT))
        wrong = await browser.token(code, verifier=oidc_flow.pkce()[0])
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
        assert (await browser.token(code)).json()["error"] == "invalid_grant"
    async with Browser(identity) as browser:
        code = browser.code(await browser.test_eid(PATIENT))
        assert (await browser.token(code)).status_code == 200
        assert (await browser.token(code)).json()["error"] == "invalid_grant"


async def test_logout_and_revocation_end_the_refresh_family(http, identity) -> None:
    async with Browser(identity) as browser:
        tokens = await tokens_for_all(browser, browser.code(await browser.test_eid(PATIENT)))
        out = await browser.http.get("/logout", params={"id_token_hint": tokens.id_token})
        assert out.status_code == 200
        after = await browser.refresh(tokens.refresh_token)
        assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    async with Browser(identity) as browser:
        tokens = await tokens_for_all(browser, browser.code(await browser.test_eid(PATIENT)))
        revoked = await browser.http.post("/revoke", data={
            "token": tokens.refresh_token, "token_type_hint": "refresh_token",
            "client_id": oidc_flow.TEST_CLIENT})
        assert revoked.status_code == 200
        assert (await browser.refresh(tokens.refresh_token)).json()["error"] == "invalid_grant"


async def test_redirect_uri_and_pkce_rules_at_authorize(identity) -> None:
    async with Browser(identity) as browser:
        browser.params["redirect_uri"] = oidc_flow.TEST_REDIRECT + "/../evil"
        page = await browser.http.get("/authorize", params=browser.params)
        assert page.status_code == 400 and "location" not in page.headers
    async with Browser(identity) as browser:
        browser.params["code_challenge_method"] = "plain"
        answer = await browser.http.get("/authorize", params=browser.params)
        assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == [
            "invalid_request"]


async def test_a_first_e_id_login_makes_the_account(stack, http, identity) -> None:
    """As on 1177: someone in the population register who has never been here gets their
    account by logging in with e-ID; someone not in the register does not."""
    exempla = "199506309302"  # Exempla Postberg: in the register file, not in the seed
    first = await Person.login(http, personnummer=exempla)
    assert claims(first.tokens["patient-mailbox"])["loa"] == 3
    me = await http.get("/api/identity/v1/me",
                        headers={"Authorization": f"Bearer {first.tokens['identity']}"})
    assert me.status_code == 200 and me.json()["name"] == "Exempla Postberg"
    assert (await first.patient("GET", "/v1/conversations")).json()["items"] == []
    again = await Person.login(http, personnummer=exempla)
    assert again.id == first.id  # the same account from then on
    records = await eventually(lambda: inspect.audit_records(
        stack, first.id, {"identity.patient_registered"}), what="PatientRegistered audited")
    assert exempla not in json.dumps(records) and "Postberg" not in json.dumps(records)

    async with Browser(identity) as browser:
        nobody = await browser.test_eid("193101019002")  # valid, in no register
    assert nobody.status_code == 403 and "location" not in nobody.headers
    assert "Det finns inget konto" in nobody.text and "193101019002" not in nobody.text


async def test_password_login_gives_reduced_access(http) -> None:
    reduced = await Person.login(http, personnummer=SEED["patients"][3]["personnummer"], loa=2)
    assert {claims(t)["loa"] for t in reduced.tokens.values()} == {2}
    assert (await reduced.patient("GET", "/v1/conversations")).status_code == 200
    assert (await reduced.patient("POST", "/v1/conversations", json={})).status_code == 403


async def test_the_gateway_logs_in_keeps_tokens_and_logs_out(stack, identity) -> None:
    gateway_url = stack.urls()["gateway"]
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as gateway, \
            Browser(identity) as browser:
        start = await gateway.get("/login")
        assert start.status_code == 302
        authorize = urlsplit(start.headers["location"])
        assert f"{authorize.scheme}://{authorize.netloc}" == identity
        browser.http.cookies.update(gateway.cookies)  # one browser, two sites' cookies
        page = await browser.http.get(f"{authorize.path}?{authorize.query}")
        staff = staff_of(UNIT, "clinician")[0]["hsa_id"]
        password, otp = oidc_flow.staff_totp(staff)
        back = await browser.http.post("/login/staff", data={
            **form(page.text, "/login/staff").fields, "hsa_id": staff, "password": password,
            "otp": otp})
        callback = urlsplit(back.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}" == gateway_url
        done = await gateway.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 303
        assert "httponly" in done.headers["set-cookie"].lower()
        me = (await gateway.get("/session")).json()
        assert me["authenticated"] and me["kind"] == "staff"
        # No Authorization header: the gateway attaches the session's token per service.
        assert (await gateway.get("/api/identity/v1/me")).json()["subject"] == me["subject"]
        assert (await gateway.get(f"/api/careunit/v1/units/{UNIT}/messages")).status_code == 200
        assert (await gateway.post("/logout", data={"csrf_token": me["csrf_token"]})
                ).status_code == 303
        assert (await gateway.get("/api/identity/v1/me")).status_code == 401

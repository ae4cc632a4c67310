"""Logging in through identity's real OpenID Provider, without a browser: the public test
client drives /authorize, the login pages (test e-ID approval for patients' e-ID, patient
password, staff password + TOTP), takes the code to /token with its PKCE verifier, and then
collects one access token per service with refresh + RFC 8707 `resource` (each refresh
rotating the refresh token).

identity is found through the gateway's proxy (/api/identity/.well-known/...); the login
pages are then used at identity's own address, as a browser would after the redirect.

Used by the end-to-end tests, the benchmarks and the demo data (devstack/demo.py)."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx
import pypdf

from devstack.config import REPO_ROOT
from devstack.htmlforms import form
from services.identity.domain import AUDIENCES
from services.identity.oidc.staff_login import load_dev_credentials, totp_code
from shared.auth import resource_indicator

TEST_CLIENT = "test-client"
TEST_REDIRECT = "http://127.0.0.1/test-client/callback"  # identity's default for the client
CREDENTIALS = load_dev_credentials(REPO_ROOT / "services/identity/seed"
                                   / "stockholm.credentials.json")

_used_steps: dict[str, int] = {}  # HSA-id -> last TOTP step this test process used


@dataclass
class Tokens:
    subject: str
    kind: str
    loa: int
    access: dict[str, str]  # audience -> access token
    refresh_token: str
    id_token: str
    identity_url: str
    last: dict[str, Any] = field(default_factory=dict)  # the latest token response


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def identity_url(gateway: httpx.AsyncClient) -> str:
    response = await gateway.get("/api/identity/.well-known/openid-configuration")
    assert response.status_code == 200, response.text
    return str(response.json()["issuer"])


def staff_totp(hsa_id: str) -> tuple[str, str]:
    """The staff member's dev password and a TOTP code for a step not used yet. identity
    accepts each step once, and one step of drift: so the current step or the next (never
    the previous one, which a step boundary on the way would make two steps old), and when
    both are used, wait."""
    secrets_ = CREDENTIALS.for_staff(hsa_id)
    assert secrets_ is not None, f"no dev credentials for {hsa_id}"
    secret = base64.b32decode(secrets_.totp_secret_base32)
    while True:
        current = int(time.time()) // 30
        step = max(current, _used_steps.get(hsa_id, -1) + 1)
        if step <= current + 1:
            _used_steps[hsa_id] = step
            return secrets_.password, totp_code(secret, step * 30)
        time.sleep(0.5)


class Browser:
    """Someone at identity's login pages: keeps cookies, follows nothing by itself."""

    def __init__(self, base_url: str, client_id: str = TEST_CLIENT,
                 redirect_uri: str = TEST_REDIRECT) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30)
        self.client_id, self.redirect_uri = client_id, redirect_uri
        self.verifier, challenge = pkce()
        self.params = {"response_type": "code", "client_id": client_id,
                       "redirect_uri": redirect_uri, "scope": "openid",
                       "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
                       "code_challenge": challenge, "code_challenge_method": "S256"}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def login_page(self) -> str:
        page = await self.http.get("/authorize", params=self.params)
        assert page.status_code == 200, page.text
        return page.text

    async def staff(self, hsa_id: str) -> httpx.Response:
        page = await self.login_page()
        password, otp = staff_totp(hsa_id)
        return await self.http.post("/login/staff", data={
            **form(page, "/login/staff").fields, "hsa_id": hsa_id, "password": password,
            "otp": otp})

    async def password(self, personnummer: str, password: str) -> httpx.Response:
        page = await self.login_page()
        return await self.http.post("/login/password", data={
            **form(page, "/login/password").fields, "personnummer": personnummer,
            "password": password})

    async def test_eid(self, personnummer: str, kind: str = "patient") -> httpx.Response:
        page = await self.login_page()
        started = await self.http.post("/login/eid/start", data=form(
            page, "/login/eid/start", kind=kind, provider="test").fields)
        assert started.status_code == 303, started.text
        path = urlsplit(started.headers["location"]).path
        approval = await self.http.get(path)
        assert approval.status_code == 200, approval.text
        decided = await self.http.post(path, data={
            **form(approval.text, path).fields, "personnummer": personnummer,
            "decision": "approve"})
        assert decided.status_code == 303, decided.text
        return await self.http.get(decided.headers["location"])

    def code(self, response: httpx.Response) -> str:
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        query = parse_qs(location.query)
        assert query.get("state") == [self.params["state"]], query
        return query["code"][0]

    async def token(self, code: str, verifier: str | None = None,
                    **extra: str) -> httpx.Response:
        return await self.http.post("/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "code_verifier": verifier or self.verifier,
            **extra})

    async def refresh(self, refresh_token: str, audience: str | None = None) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": self.client_id}
        if audience is not None:
            data["resource"] = resource_indicator(audience)
        return await self.http.post("/token", data=data)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def tokens_for_all(browser: Browser, code: str) -> Tokens:
    """The code's tokens, then one access token per audience through rotating refreshes."""
    response = await browser.token(code)
    assert response.status_code == 200, response.text
    body = response.json()
    ident = _claims(body["id_token"])
    tokens = Tokens(subject=ident["sub"], kind=ident["kind"], loa=ident["loa"],
                    access={"identity": body["access_token"]},
                    refresh_token=body["refresh_token"], id_token=body["id_token"],
                    identity_url=str(browser.http.base_url).rstrip("/"), last=body)
    for audience in AUDIENCES:
        if audience in tokens.access:
            continue
        refreshed = await browser.refresh(tokens.refresh_token, audience)
        assert refreshed.status_code == 200, refreshed.text
        body = refreshed.json()
        tokens.access[audience] = body["access_token"]
        tokens.refresh_token, tokens.last = body["refresh_token"], body
    return tokens


async def log_in(gateway: httpx.AsyncClient, *, personnummer: str | None = None,
                 hsa_id: str | None = None, password: str | None = None) -> Tokens:
    """Staff: password + TOTP. Patients: test e-ID, or the password when one is given."""
    async with Browser(await identity_url(gateway)) as browser:
        if hsa_id is not None:
            answer = await browser.staff(hsa_id)
        elif password is not None:
            answer = await browser.password(str(personnummer), password)
        else:
            answer = await browser.test_eid(str(personnummer))
        return await tokens_for_all(browser, browser.code(answer))


# --- patients with a password: activated through the letter, as a patient would ------------

# The running stack (set by tests/e2e/conftest.py): the print queue is internal.
STACK: Any = None
_passwords: dict[str, str] = {}  # personnummer -> the password this test process set
with (REPO_ROOT / "services/identity/seed/population_stockholm.csv"
      ).open(encoding="utf-8") as f:
    _NAMES = {row["personnummer"].replace("-", ""): f"{row['given_name']} {row['family_name']}"
              for row in csv.DictReader(f)}


async def patient_password(gateway: httpx.AsyncClient, personnummer: str) -> str:
    """A password for the patient: asks for an activation letter, reads its code from the
    print queue (as the print operator would) and activates with a new password (which sets
    it and nothing more: the login itself is at /authorize, see `log_in`)."""
    if personnummer in _passwords:
        return _passwords[personnummer]
    assert STACK is not None, "password logins need the running stack"
    asked = await gateway.post("/api/identity/v1/patients/register",
                               json={"personnummer": personnummer})
    assert asked.status_code == 202, asked.text
    code = await _letter_code(_NAMES[personnummer])
    password = f"Sju sorters kakor {secrets.randbelow(10**6)}"
    activated = await gateway.post("/api/identity/v1/patients/activate", json={
        "personnummer": personnummer, "activation_code": code, "password": password})
    assert activated.status_code == 204, activated.text
    _passwords[personnummer] = password
    return password


async def _letter_code(name: str) -> str:
    from devstack.services import service_url
    headers = {"X-Internal-Api-Key": STACK.cfg.internal_credential("operator")}
    async with httpx.AsyncClient(base_url=service_url(STACK.cfg, "identity"), headers=headers,
                                 timeout=30) as identity:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            letters = (await identity.get("/internal/v1/letters")).json()
            for letter in reversed(letters):  # the newest: a new letter voids older codes
                pdf = await identity.get(f"/internal/v1/letters/{letter['letter_id']}/pdf")
                text = "\n".join(p.extract_text() for p in
                                 pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
                if name in text:
                    lines = text.splitlines()
                    return lines[lines.index("Aktiveringskod:") + 1]
            await asyncio.sleep(0.2)
    raise AssertionError(f"no activation letter to {name}")

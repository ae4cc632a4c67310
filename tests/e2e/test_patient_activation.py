"""The activation-letter way in, against the running system: a person from the population
register asks for a letter, it is queued as a PDF for printing (with no address for
protected identity), the code sets a password (weak ones refused with reasons) and gives no
tokens; the password login at identity's OpenID Provider gives reduced access that the
patient mailbox enforces, wrong passwords lock the account, and an unknown personnummer is
answered exactly like a wrong password."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pypdf
import pytest

from devstack.services import service_url
from services.identity.patients.personnummer import check_digit
from tests.e2e import inspect, oidc_flow
from tests.e2e.oidc_flow import Browser
from tests.e2e.support import SEED, Person, eventually
from tests.htmlforms import form

pytestmark = pytest.mark.e2e

with (Path(__file__).resolve().parents[2] / "services/identity/seed/population_stockholm.csv"
      ).open(encoding="utf-8") as f:
    POPULATION = {row["given_name"]: row for row in csv.DictReader(f)}
LUDVIG, AKTIVA, SKYDDO = POPULATION["Ludvig"], POPULATION["Aktiva"], POPULATION["Skyddo"]
GOOD = "Sju sorters kakor 7"


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=20) as client:
        yield client


def unknown_number(i: int) -> str:
    """Valid personnummer that are in no register (born 1931, never used elsewhere)."""
    born = date(1931, 1, 1) + timedelta(days=i)
    nine = f"{born:%y%m%d}{900 + i % 100:03d}"
    return f"19{nine[:6]}-{nine[6:]}{check_digit(nine)}"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


async def queued_letter(stack, name: str) -> tuple[dict, bytes, str]:
    """The queued letter addressed to `name`, fetched as the print operator does."""
    headers = {"X-Internal-Api-Key": stack.cfg.internal_credential("operator")}
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, "identity"),
                                 headers=headers) as identity:
        async def find():
            for letter in (await identity.get("/internal/v1/letters")).json():
                pdf = (await identity.get(f"/internal/v1/letters/{letter['letter_id']}/pdf")).content
                if name in pdf_text(pdf):
                    return letter, pdf, pdf_text(pdf)
            return None
        return await eventually(find, what=f"a queued letter to {name}")


def code_in(letter_text: str) -> str:
    lines = letter_text.splitlines()
    return lines[lines.index("Aktiveringskod:") + 1]


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def register_and_activate(stack, http: httpx.AsyncClient, person: dict) -> None:
    asked = await http.post("/api/identity/v1/patients/register",
                            json={"personnummer": person["personnummer"]})
    assert asked.status_code == 202, asked.text
    _, _, text = await queued_letter(stack, f"{person['given_name']} {person['family_name']}")
    activated = await http.post("/api/identity/v1/patients/activate", json={
        "personnummer": person["personnummer"], "activation_code": code_in(text),
        "password": GOOD})
    assert activated.status_code == 204, activated.text


async def test_letter_activation_and_reduced_access(stack, http) -> None:
    # Anyone may ask; the answer never tells whether a letter was made.
    asked = await http.post("/api/identity/v1/patients/register",
                            json={"personnummer": LUDVIG["personnummer"]})
    nobody = await http.post("/api/identity/v1/patients/register",
                             json={"personnummer": unknown_number(0)})
    assert asked.status_code == nobody.status_code == 202
    assert asked.json() == nobody.json()
    bad = await http.post("/api/identity/v1/patients/register",
                          json={"personnummer": "19770224-8242"})
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "check_digit"

    # The letter is queued for printing, addressed from the register.
    letter, pdf, text = await queued_letter(stack, "Ludvig Läsbrev")
    assert pdf.startswith(b"%PDF") and letter["routing"] == "home_address"
    assert LUDVIG["street"] in text and LUDVIG["postal_code"] in text
    code = code_in(text)

    # Weak passwords are refused with their reasons; the code survives that.
    weak = await http.post("/api/identity/v1/patients/activate", json={
        "personnummer": LUDVIG["personnummer"], "activation_code": code, "password": "ludvig123"})
    assert weak.status_code == 422
    assert {p["code"] for p in weak.json()["detail"]["problems"]} == {"too_short"}
    named = await http.post("/api/identity/v1/patients/activate", json={
        "personnummer": LUDVIG["personnummer"], "activation_code": code,
        "password": "Ludvig läser 40 brev"})
    assert [p["code"] for p in named.json()["detail"]["problems"]] == ["contains_name"]
    activated = await http.post("/api/identity/v1/patients/activate", json={
        "personnummer": LUDVIG["personnummer"], "activation_code": code, "password": GOOD})
    assert activated.status_code == 204 and not activated.content  # a password, no tokens
    reused = await http.post("/api/identity/v1/patients/activate", json={
        "personnummer": LUDVIG["personnummer"], "activation_code": code, "password": GOOD})
    assert reused.status_code == 401
    gone = await http.post("/api/identity/v1/patients/login",
                           json={"personnummer": LUDVIG["personnummer"], "password": GOOD})
    assert gone.status_code == 404  # no tokens outside the OpenID Provider

    # Password login through the provider's login page: tokens like any login's, at loa 2.
    patient = await Person.login(http, personnummer=LUDVIG["personnummer"], loa=2,
                                 password=GOOD)
    assert patient.oidc is not None and patient.oidc.kind == "patient"
    assert {claims(t)["loa"] for t in patient.tokens.values()} == {2}
    assert (await patient.patient("GET", "/v1/conversations")).status_code == 200
    read = await patient.patient("GET", "/v1/conversations/0190d5e4-0000-7000-8000-000000000000")
    assert read.status_code == 403
    submit = await patient.patient("POST", "/v1/conversations", json={
        "care_unit_id": SEED["care_units"][0]["unit_id"], "service_type": "advice",
        "subject": "Fråga", "text": "Hej"})
    assert submit.status_code == 403

    # Registration and activation reached the audit log, by pseudonym only.
    records = await eventually(lambda: inspect.audit_records(
        stack, patient.id, {"identity.patient_registered", "identity.patient_activated"}),
        what="registration and activation in the audit log")
    assert all(LUDVIG["personnummer"].replace("-", "") not in json.dumps(r) for r in records)
    assert all("Läsbrev" not in json.dumps(r) for r in records)


async def test_protected_identity_letter_has_no_address(stack, http) -> None:
    asked = await http.post("/api/identity/v1/patients/register",
                            json={"personnummer": SKYDDO["personnummer"]})
    assert asked.status_code == 202
    letter, pdf, text = await queued_letter(stack, "Skyddo Okändsson")
    assert pdf.startswith(b"%PDF") and letter["routing"] == "skatteverket_forwarding"
    assert "Skatteverket" in letter["outer_envelope"]
    # The register file carries an address for this person; identity never kept it.
    assert SKYDDO["street"] and SKYDDO["street"] not in text
    assert SKYDDO["postal_code"] not in text and SKYDDO["city"] not in text


async def login(identity: str, number: str, password: str) -> tuple[int, str, float]:
    """One attempt at the provider's password form: the status, the page answered (without
    the login request's own id and CSRF token, which differ each time) and the time taken."""
    async with Browser(identity) as browser:
        fields = form(await browser.login_page(), "/login/password").fields
        started = time.perf_counter()
        response = await browser.http.post("/login/password", data={
            **fields, "personnummer": number, "password": password})
        elapsed = time.perf_counter() - started
    page = response.text
    for name in ("request_id", "csrf_token"):
        page = page.replace(fields[name], f"<{name}>")
    return response.status_code, page, elapsed


async def test_lockout_without_revealing_who_has_an_account(stack, http) -> None:
    await register_and_activate(stack, http, AKTIVA)
    identity = await oidc_flow.identity_url(http)
    known, unknown = [], []
    # Interleaved, so load on the machine affects both alike. Failures 3 and 4 start a
    # delay (1 s, 2 s) that is waited out, so every known attempt checks the real hash.
    for i in range(5):
        known.append(await login(identity, AKTIVA["personnummer"], f"Fel lösenord {i}"))
        unknown.append(await login(identity, unknown_number(10 + i), f"Fel lösenord {i}"))
        await asyncio.sleep({2: 1.1, 3: 2.1}.get(i, 0))
    # Five failures locked the account: even the right password is refused, alike.
    right = await login(identity, AKTIVA["personnummer"], GOOD)
    for i in range(5):
        known.append(await login(identity, AKTIVA["personnummer"], f"Fel igen {i}"))
        unknown.append(await login(identity, unknown_number(20 + i), f"Fel igen {i}"))

    answers = known + unknown + [right]
    assert {status for status, _, _ in answers} == {401}
    assert len({page for _, page, _ in answers}) == 1  # the same page, byte for byte
    assert "Inloggningen misslyckades" in right[1]
    ratio = statistics.median(t for *_, t in unknown) / statistics.median(t for *_, t in known)
    assert 0.5 < ratio < 2, f"unknown/known median time ratio {ratio:.2f}"

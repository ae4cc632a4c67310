"""The login front door: CSRF and browser binding of the forms, staff password + TOTP with
lockout, the test e-ID page, patient password login (the patient side's check, faked here)
and cancelling."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity import domain, tables
from services.identity.catalogue.tables import catalogue_staff
from services.identity.oidc import frontdoor
from services.identity.oidc.staff_login import DevSecrets, totp_code
from services.identity.patients import tables as tables_patients
from services.identity.patients.login import LoginFailed
from tests.htmlforms import form
from tests.unit.identity.oidc_support import (
    PATIENT_PNR,
    STAFF_PNR,
    TOTP_SECRET,
    World,
    authorize_params,
    client,
    code_from,
    exchange,
    next_totp,
    pkce,
    refresh,
    staff_login,
    world,
)


@pytest.fixture
def w() -> World:
    return world()


def start(w: World):
    c = client(w)
    params = authorize_params(pkce()[1])
    page = c.get("/authorize", params=params)
    assert page.status_code == 200
    return c, params, page


def test_login_page_is_swedish_labelled_and_locked_down(w: World) -> None:
    _, _, page = start(w)
    assert '<html lang="sv"' in page.text
    fields = re.findall(r'<input [^>]*\bid="([^"]+)"', page.text)
    assert len(fields) == 5
    for field in fields:  # every visible input has a label
        assert re.search(rf'<label [^>]*\bfor="{field}"', page.text), field
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_form_without_the_csrf_token_or_from_another_browser_is_refused(w: World) -> None:
    c, params, page = start(w)
    login = form(page.text, "/login/staff")
    base = {"hsa_id": "HSA-1", "password": "unit-test-password", "otp": next_totp(c)}
    forged = c.post("/login/staff", data={**login.fields, **base, "csrf_token": "guess"})
    assert forged.status_code == 400 and "location" not in forged.headers
    other = client(w)  # no cookie: another browser replaying the page's form
    replay = other.post("/login/staff", data={**login.fields, **base})
    assert replay.status_code == 400 and "location" not in replay.headers
    assert code_from(c.post("/login/staff", data={**login.fields, **base}), params)


def test_a_login_request_completes_once(w: World) -> None:
    c, params, page = start(w)
    login = form(page.text, "/login/staff")
    data = {**login.fields, "hsa_id": "HSA-1", "password": "unit-test-password"}
    assert code_from(c.post("/login/staff", data={**data, "otp": next_totp(c)}), params)
    again = c.post("/login/staff", data={**data, "otp": next_totp(c)})
    assert again.status_code == 400


def test_wrong_factors_look_alike(w: World) -> None:
    c = client(w)
    good = totp_code(TOTP_SECRET, time.time())  # never accepted below: reusable
    answers = []
    for hsa_id, password, otp in (("HSA-1", "wrong-password", good), ("HSA-1", None, "000000"),
                                  ("nobody", None, good)):
        params = authorize_params(pkce()[1])
        response = staff_login(c, params, hsa_id=hsa_id, password=password or "unit-test-password",
                               otp=otp)
        answers.append((response.status_code, re.sub(r'value="[^"]*"', "", response.text)))
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 401


def test_revoked_staff_cannot_log_in(w: World) -> None:
    response = staff_login(client(w), authorize_params(pkce()[1]), hsa_id="HSA-2")
    assert response.status_code == 401


def _test_eid(c, page, kind: str, personnummer: str, decision: str = "approve"):
    start_form = form(page.text, "/login/eid/start", kind=kind, provider="test")
    started = c.post("/login/eid/start", data=start_form.fields)
    assert started.status_code == 303
    path = urlsplit(started.headers["location"]).path
    eid_page = c.get(path)
    assert eid_page.status_code == 200 and "Test-e-legitimation" in eid_page.text
    approve = form(eid_page.text, path)
    decided = c.post(path, data={**approve.fields, "personnummer": personnummer,
                                 "decision": decision})
    assert decided.status_code == 303
    back = urlsplit(decided.headers["location"])
    return c.get(f"{back.path}?{back.query}")


def test_staff_e_id_through_the_test_provider(w: World) -> None:
    c, params, page = start(w)
    code = code_from(_test_eid(c, page, "staff", STAFF_PNR), params)
    assert code


def test_cancelled_test_e_id_logs_nobody_in(w: World) -> None:
    c, _, page = start(w)
    response = _test_eid(c, page, "staff", "", decision="cancel")
    assert response.status_code == 401 and "location" not in response.headers


def test_test_e_id_page_belongs_to_the_browser_that_started_it(w: World) -> None:
    c, _, page = start(w)
    started = c.post("/login/eid/start",
                     data=form(page.text, "/login/eid/start", kind="staff").fields)
    path = urlsplit(started.headers["location"]).path
    assert client(w).get(path).status_code == 404
    assert c.get(path).status_code == 200


def test_patient_e_id_uses_the_register_and_gives_loa_3(w: World, monkeypatch) -> None:
    async def patient_by_eid(request, number, loa):
        return domain.patient_subject(w.patient_id, loa) if number == PATIENT_PNR else None
    monkeypatch.setattr(frontdoor, "patient_by_eid", patient_by_eid)
    c, params, page = start(w)
    assert code_from(_test_eid(c, page, "patient", PATIENT_PNR), params)
    c, _, page = start(w)
    unknown = _test_eid(c, page, "patient", "194507049817")
    assert unknown.status_code == 403


def _listing(w: World, listed_unit: str | None) -> None:
    register = tables_patients.population_register
    with w.db.begin() as conn:
        conn.execute(register.delete())
        conn.execute(register.insert().values(
            personnummer=PATIENT_PNR, samordningsnummer=False, given_name="T", family_name="T",
            protected_identity=False, imported_at=datetime.now(UTC), listed_unit=listed_unit))


def test_patient_tokens_carry_the_unit_they_are_listed_at(w: World, monkeypatch) -> None:
    async def patient_by_eid(request, number, loa):
        return domain.patient_subject(w.patient_id, loa)
    monkeypatch.setattr(frontdoor, "patient_by_eid", patient_by_eid)
    _listing(w, "U1")
    c = client(w)
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    page = c.get("/authorize", params=params)
    token = exchange(c, code_from(_test_eid(c, page, "patient", PATIENT_PNR), params),
                     verifier).json()

    def listed(access_token: str) -> str | None:
        return jwt.decode(access_token, KeySet.import_key_set(w.door.provider.jwks()),
                          algorithms=["ES256"]).claims.get("listed_unit")
    assert listed(token["access_token"]) == "U1"
    info = c.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert info.json()["listed_unit"] == "U1"
    # Read from the register at every token issue: a new listing reaches the next token.
    _listing(w, "U2")
    token = refresh(c, token["refresh_token"], "patient-mailbox").json()
    assert listed(token["access_token"]) == "U2"
    _listing(w, None)  # listed nowhere: no claim at all
    token = refresh(c, token["refresh_token"], "patient-mailbox").json()
    assert listed(token["access_token"]) is None


class FakePatientAuth:
    def __init__(self, w: World) -> None:
        self.w, self.calls = w, []

    async def verify_password(self, number, password, *, client_ip=None):
        self.calls.append((number, client_ip))
        if password != "patient-password":
            raise LoginFailed
        return domain.patient_subject(self.w.patient_id, 2)


def test_patient_password_login_uses_the_patient_side_check(w: World) -> None:
    w.app.state.patient_auth = auth = FakePatientAuth(w)

    class Ctx:
        class settings:  # stands in for IdentitySettings
            trusted_proxy_networks = ()
    w.app.state.identity = Ctx
    c, params, page = start(w)
    login = form(page.text, "/login/password")
    wrong = c.post("/login/password", data={**login.fields, "personnummer": PATIENT_PNR,
                                            "password": "nope"})
    assert wrong.status_code == 401 and "misslyckades" in wrong.text
    ok = c.post("/login/password", data={**login.fields, "personnummer": PATIENT_PNR,
                                         "password": "patient-password"})
    assert code_from(ok, params) and auth.calls[0][0] == PATIENT_PNR


def test_cancel_returns_access_denied_to_the_client(w: World) -> None:
    c, params, page = start(w)
    response = c.post("/login/cancel", data=form(page.text, "/login/cancel").fields)
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == [params["state"]]


def test_staff_imported_later_get_the_dev_default_credentials(w: World) -> None:
    with w.db.begin() as conn:  # as a catalogue import adds them: no credentials yet
        staff_id = uuid.uuid4()
        conn.execute(tables.staff.insert().values(staff_id=staff_id, hsa_id="HSA-NEW",
                                                  given_name="N", family_name="N",
                                                  profession="nurse"))
        conn.execute(catalogue_staff.insert().values(staff_id=staff_id, active=True,
                                                     updated_at=datetime.now(UTC)))
    c = client(w)
    assert staff_login(c, authorize_params(pkce()[1]), hsa_id="HSA-NEW").status_code == 401
    default = DevSecrets(password="dev-default-password",
                         totp_secret_base32=base64.b32encode(TOTP_SECRET).decode())
    w.app.state.door = replace(w.door, dev_staff_default=default)
    params = authorize_params(pkce()[1])
    otp = totp_code(TOTP_SECRET, time.time())
    answer = staff_login(c, params, hsa_id="HSA-NEW", password="dev-default-password", otp=otp)
    assert code_from(answer, params)

"""The OpenID Provider on SQLite in memory, mounted on a bare FastAPI app (no Kafka, no
PostgreSQL): a fresh catalogue with one patient and two staff members, a signing key, and
helpers that walk the real login pages with a TestClient."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc.jwk import KeySet
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from services.identity import tables
from services.identity.catalogue import tables as catalogue
from services.identity.oidc import tables as oidc_tables
from services.identity.oidc import wiring
from services.identity.oidc.clients import registered_clients
from services.identity.oidc.server import Provider
from services.identity.oidc.staff_login import DevCredentials, seed_credentials, totp_code
from services.identity.oidc.web import Door
from services.identity.patients import tables as tables_patients
from services.identity.settings import IdentitySettings
from services.identity.signing import keys
from services.identity.signing.keys import SigningKeys
from shared.auth import TokenVerifier, resource_indicator
from shared.crypto.keyring import KeyWrapper
from tests.htmlforms import form

ISSUER = "http://127.0.0.1:8001"
KEK = base64.urlsafe_b64encode(os.urandom(32)).decode()  # production refuses a regular one
GATEWAY_SECRET = "gateway-secret-for-unit-tests"
TEST_REDIRECT = "http://127.0.0.1/test-client/callback"
GATEWAY_REDIRECT = "http://127.0.0.1:8000/callback"
PASSWORD = "unit-test-password"
TOTP_SECRET = b"0123456789abcdefghij"
PATIENT_PNR = "191212121212"
STAFF_PNR = "197502029817"


@dataclass
class World:
    app: FastAPI
    db: Engine
    door: Door
    patient_id: str
    staff_id: str
    revoked_staff_id: str


def settings(**overrides: Any) -> IdentitySettings:
    values = {"environment": "test", "identity_url": ISSUER, "key_encryption_key": KEK,
              "internal_caller_notifier": "n", "internal_caller_operator": "o",
              "internal_caller_audit": "a", "kafka_password": "a-real-kafka-password",
              "gateway_client_secret": GATEWAY_SECRET,
              "gateway_redirect_uri": GATEWAY_REDIRECT,
              "test_client_redirect_uri": TEST_REDIRECT, **overrides}
    return IdentitySettings(**values)


def _database(db: Engine | None = None) -> Engine:
    """SQLite in memory, or the given engine (tests/integration runs the same provider on
    PostgreSQL, where row locks decide the races that SQLite's one writer hides)."""
    if db is None:
        db = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    tables.metadata.create_all(db, tables=[tables.care_units, tables.patients, tables.staff,
                                           tables.memberships, tables.signing_keys])
    catalogue.metadata.create_all(db)
    oidc_tables.metadata.create_all(db)
    # Patients' listings (listed_unit in their tokens) come from the register copy.
    tables_patients.metadata.create_all(db, tables=[tables_patients.population_register])
    return db


def _people(db: Engine, wrapper: KeyWrapper) -> tuple[str, str, str]:
    patient, active, revoked = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with db.begin() as conn:
        conn.execute(tables.care_units.insert().values(
            unit_id="U1", name="Enhet", region="r", functional_email="u@x.example", services=[]))
        conn.execute(tables.patients.insert().values(
            patient_id=patient, personnummer=PATIENT_PNR, given_name="T", family_name="T"))
        for staff_id, hsa, is_active in ((active, "HSA-1", True), (revoked, "HSA-2", False)):
            conn.execute(tables.staff.insert().values(
                staff_id=staff_id, hsa_id=hsa, given_name="S", family_name="S",
                profession="doctor"))
            conn.execute(tables.memberships.insert().values(
                staff_id=staff_id, unit_id="U1", roles=["clinician"]))
            conn.execute(catalogue.catalogue_staff.insert().values(
                staff_id=staff_id, active=is_active, updated_at=datetime.now(UTC)))
        seed_credentials(conn, wrapper, DevCredentials.model_validate({"credentials": [
            {"hsa_id": "HSA-1", "password": PASSWORD, "eid_personnummer": STAFF_PNR,
             "totp_secret_base32": base64.b32encode(TOTP_SECRET).decode()},
            {"hsa_id": "HSA-2", "password": PASSWORD,
             "totp_secret_base32": base64.b32encode(TOTP_SECRET).decode()}]}))
    return str(patient), str(active), str(revoked)


class _SyncJwks(TokenVerifier):
    def __init__(self, provider: Provider) -> None:
        super().__init__(jwks_url=f"{ISSUER}/.well-known/jwks.json", issuer=ISSUER,
                         audience="identity")
        self._provider = provider

    async def _keyset(self, kid: str | None) -> KeySet:
        return KeySet.import_key_set(self._provider.jwks())  # type: ignore[arg-type]


def world(*, db: Engine | None = None, **overrides: Any) -> World:
    config = settings(**overrides)
    wrapper = config.key_wrapper()
    db = _database(db)
    signing = SigningKeys(wrapper, grace=timedelta(minutes=10))
    key = keys.generate_key()
    with db.begin() as conn:
        conn.execute(tables.signing_keys.insert().values(
            kid=key.kid, public_jwk=keys.public_jwk(key), state="active",
            created_at=datetime.now(UTC), wrapped_private_jwk=keys.wrap_private(wrapper, key)))
    patient, staff_id, revoked = _people(db, wrapper)
    provider = Provider(settings=config, db=db, signing_keys=signing,
                        clients=registered_clients(config))
    app = FastAPI()
    wiring.mount(app, config)
    eid = wiring._eid_providers(config, db)
    door = Door(provider=provider, settings=config, engine=None,  # type: ignore[arg-type]
                wrapper=wrapper, eid=eid, form_action="'self'", clock=StepClock())
    app.state.door = door
    app.state.token_verifier = _SyncJwks(provider)
    return World(app=app, db=db, door=door, patient_id=patient, staff_id=staff_id,
                 revoked_staff_id=revoked)


def client(w: World) -> TestClient:
    return TestClient(w.app, base_url=ISSUER, follow_redirects=False)


# --- walking the flow ---------------------------------------------------------------------

def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "test-client", "redirect_uri": TEST_REDIRECT,
            "scope": "openid", "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8), "code_challenge": challenge,
            "code_challenge_method": "S256", **overrides}


class StepClock:
    """The provider's clock for TOTP (Door.clock): each login moves it one 30-second step on,
    so a test logs in as often as it likes without waiting for a new step."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def next_step(self) -> float:
        self.now += timedelta(seconds=30)
        return self.now.timestamp()


def next_totp(c: TestClient) -> str:
    """A code the provider has not seen yet: each TOTP step is accepted once, so the clock
    moves to the next step and the code is that step's."""
    clock: StepClock = c.app.state.door.clock
    return totp_code(TOTP_SECRET, clock.next_step())


def staff_login(c: TestClient, params: dict[str, str], *, hsa_id: str = "HSA-1",
                password: str = PASSWORD, otp: str | None = None) -> Any:
    page = c.get("/authorize", params=params)
    assert page.status_code == 200, page.text
    login = form(page.text, "/login/staff")
    return c.post("/login/staff", data={**login.fields, "hsa_id": hsa_id, "password": password,
                                        "otp": otp or next_totp(c)})


def code_from(response: Any, params: dict[str, str]) -> str:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    assert query["state"] == [params["state"]]
    return query["code"][0]


def exchange(c: TestClient, code: str, verifier: str, **extra: str) -> Any:
    return c.post("/token", data={"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": TEST_REDIRECT, "client_id": "test-client",
                                  "code_verifier": verifier, **extra})


def refresh(c: TestClient, refresh_token: str, audience: str | None = None) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": "test-client"}
    if audience:
        data["resource"] = resource_indicator(audience)
    return c.post("/token", data=data)


def logged_in(c: TestClient) -> dict[str, Any]:
    """Staff HSA-1 through the whole code flow; the token response."""
    verifier, challenge = pkce()
    params = authorize_params(challenge)
    code = code_from(staff_login(c, params), params)
    response = exchange(c, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()

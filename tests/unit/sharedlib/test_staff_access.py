"""Staff authorization against the current catalogue (shared.staff_access): narrowing a token
to current memberships, refusing revoked people's tokens, the short cache, and the hook in
shared.auth.current_principal."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.auth import Principal, PrincipalDep, StaffDep
from shared.events.contracts import StaffMembershipChanged, StaffRegistered, StaffRevoked
from shared.staff_access import (
    CACHE_TTL_S,
    Revoked,
    StaffAccess,
    StaffState,
    build_handlers,
    narrow,
)

ISSUED = 1_700_000_000
X, Y = "unit-x", "unit-y"


def staff(units: dict[str, list[str]], iat: int | None = ISSUED) -> Principal:
    return Principal(subject="s-1", kind="staff", loa=3, units=units, issued_at=iat)


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_unknown_to_the_projection_keeps_the_token_claims() -> None:
    who = staff({X: ["clinician"]})
    assert narrow(who, None) is who


def test_removal_from_a_unit_takes_that_unit_away() -> None:
    who = staff({X: ["message_administrator"], Y: ["clinician"]})
    assert narrow(who, StaffState(units={Y: ["clinician"]})).units == {Y: ["clinician"]}


def test_a_lost_role_goes_but_the_rest_of_the_unit_stays() -> None:
    who = staff({X: ["message_administrator", "clinician"]})
    assert narrow(who, StaffState(units={X: ["clinician"]})).units == {X: ["clinician"]}


def test_a_token_never_gains_rights_it_was_not_issued_with() -> None:
    who = staff({X: ["clinician"]})
    state = StaffState(units={X: ["clinician", "message_administrator"], Y: ["auditor"]})
    assert narrow(who, state).units == {X: ["clinician"]}


def test_a_revoked_person_is_refused() -> None:
    with pytest.raises(Revoked):
        narrow(staff({X: ["clinician"]}), StaffState(units={}, revoked=True))


@pytest.mark.parametrize("issued_at", [ISSUED - 60, ISSUED, None])
def test_tokens_up_to_the_revocation_stay_refused_after_reinstatement(issued_at) -> None:
    reinstated = StaffState(units={X: ["clinician"]}, not_before=at(ISSUED + 0.5))
    with pytest.raises(Revoked):
        narrow(staff({X: ["clinician"]}, iat=issued_at), reinstated)


def test_a_token_issued_after_reinstatement_works() -> None:
    reinstated = StaffState(units={X: ["clinician"]}, not_before=at(ISSUED - 1))
    assert narrow(staff({X: ["clinician"]}), reinstated).units == {X: ["clinician"]}


def test_patients_are_not_touched() -> None:
    patient = Principal(subject="p-1", kind="patient", loa=3)
    assert narrow(patient, StaffState(units={}, revoked=True)) is patient


def test_handlers_cover_every_staff_event() -> None:
    handlers = build_handlers(object())  # type: ignore[arg-type]
    assert set(handlers) == {StaffRegistered, StaffMembershipChanged, StaffRevoked}


class FakeEngine:
    @asynccontextmanager
    async def connect(self):
        yield None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_lookups_are_cached_for_at_most_the_ttl() -> None:
    assert CACHE_TTL_S <= 5
    loads, current = [], {"state": StaffState(units={X: ["clinician"]})}

    async def load(_conn, staff_id):
        loads.append(staff_id)
        return current["state"]

    clock = Clock()
    access = StaffAccess(FakeEngine(), load, clock=clock)  # type: ignore[arg-type]
    who = staff({X: ["clinician"]})
    assert (await access.authorize(who)).units == {X: ["clinician"]}
    current["state"] = StaffState(units={}, revoked=True)
    clock.now = CACHE_TTL_S - 0.01
    await access.authorize(who)  # still the cached decision
    assert loads == ["s-1"]
    clock.now = CACHE_TTL_S + 0.01
    with pytest.raises(Revoked):
        await access.authorize(who)
    assert loads == ["s-1", "s-1"]


class FixedVerifier:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    async def verify(self, token: str) -> Principal:
        return self.principal


def app_with(principal: Principal, state: StaffState | None) -> TestClient:
    app = FastAPI()

    async def load(_conn, _staff_id):
        return state

    app.state.token_verifier = FixedVerifier(principal)
    app.state.staff_access = StaffAccess(FakeEngine(), load)  # type: ignore[arg-type]

    @app.get("/units")
    async def units(who: StaffDep) -> dict:
        return who.units

    @app.get("/me")
    async def me(who: PrincipalDep) -> str:
        return who.subject

    return TestClient(app)


AUTH = {"Authorization": "Bearer t"}


def test_current_principal_applies_the_current_catalogue() -> None:
    client = app_with(staff({X: ["clinician"], Y: ["clinician"]}),
                      StaffState(units={Y: ["clinician"]}))
    assert client.get("/units", headers=AUTH).json() == {Y: ["clinician"]}


def test_current_principal_answers_401_for_a_revoked_person() -> None:
    client = app_with(staff({X: ["clinician"]}), StaffState(units={}, revoked=True))
    response = client.get("/me", headers=AUTH)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_without_staff_access_wired_the_token_decides_as_before() -> None:
    app = FastAPI()
    app.state.token_verifier = FixedVerifier(staff({X: ["clinician"]}))

    @app.get("/units")
    async def units(who: StaffDep) -> dict:
        return who.units

    assert TestClient(app).get("/units", headers=AUTH).json() == {X: ["clinician"]}

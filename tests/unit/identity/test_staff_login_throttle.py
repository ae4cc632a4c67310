"""Staff login throttling (oidc/staff_throttle.py) and the password-hashing memory budget
(hash_budget.py): time is a fake clock, no sleeps."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from services.identity.hash_budget import HashBudget, HashingBusy
from services.identity.oidc import staff_login as staff_module
from services.identity.oidc.staff_throttle import PAIR, StaffThrottle, StaffThrottled
from tests.htmlforms import form
from tests.unit.identity.oidc_support import (
    ISSUER,
    PASSWORD,
    World,
    authorize_params,
    code_from,
    pkce,
    staff_login,
    world,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_each_client_has_a_token_bucket() -> None:
    clock = FakeClock()
    throttle = StaffThrottle(capacity=5, refill_per_s=0.5, clock=clock)
    for i in range(5):
        throttle.admit(f"HSA-{i}", "10.0.0.9")  # any HSA-ids: the bucket is the address's
    with pytest.raises(StaffThrottled) as refused:
        throttle.admit("HSA-99", "10.0.0.9")
    assert refused.value.reason == "client" and refused.value.retry_after == 2
    throttle.admit("HSA-1", "10.0.0.10")  # another address is not affected
    clock.advance(2)
    throttle.admit("HSA-99", "10.0.0.9")  # one token back after 2 s


def test_failures_of_one_pair_delay_progressively_then_lock_only_that_pair() -> None:
    clock = FakeClock()
    throttle = StaffThrottle(capacity=1000, clock=clock, pair=replace(PAIR, lock_after=8))
    waits = []
    for _ in range(8):
        throttle.admit("HSA-1", "attacker")
        throttle.failed("HSA-1", "attacker")
        try:
            throttle.admit("HSA-1", "attacker")
            waits.append(0)
        except StaffThrottled as exc:
            waits.append(exc.retry_after)
        clock.advance(waits[-1])
    assert waits[:3] == [0, 0, 0] and waits[3:7] == [1, 2, 4, 8]
    assert waits[7] == 30 * 60  # the eighth failure locks the pair
    throttle.admit("HSA-1", "colleague")  # the same HSA-id from elsewhere: not delayed
    throttle.admit("HSA-2", "attacker")  # the lock is the pair's, not the address's


def test_the_tables_stay_bounded() -> None:
    throttle = StaffThrottle(max_entries=100, clock=FakeClock())
    for i in range(1000):
        throttle.admit(f"HSA-{i}", f"10.0.{i // 250}.{i % 250}")
        throttle.failed(f"HSA-{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle._buckets) == 100 and len(throttle._pairs) == 100


def _throttled_world(clock: FakeClock, **throttle) -> World:
    w = world()
    w.app.state.door = w.door = replace(w.door, staff_throttle=StaffThrottle(clock=clock,
                                                                             **throttle))
    return w


def test_guessing_a_colleagues_hsa_id_does_not_lock_them_out() -> None:
    clock = FakeClock()
    w = _throttled_world(clock, capacity=1000)
    attacker = TestClient(w.app, base_url=ISSUER, follow_redirects=False,
                          client=("10.6.6.6", 4000))
    statuses = []
    for _ in range(30):
        statuses.append(staff_login(attacker, authorize_params(pkce()[1]),
                                    password="guess", otp="123456").status_code)
        clock.advance(1)
    assert statuses[0] == 401 and statuses[-1] == 429  # delayed, then locked: the guesser
    refused = staff_login(attacker, authorize_params(pkce()[1]), password="guess", otp="1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    user = TestClient(w.app, base_url=ISSUER, follow_redirects=False, client=("10.1.1.1", 5000))
    params = authorize_params(pkce()[1])
    assert code_from(staff_login(user, params), params)  # the real user gets in at once


def test_one_address_is_throttled_whatever_hsa_ids_it_tries() -> None:
    clock = FakeClock()
    w = _throttled_world(clock, capacity=3, refill_per_s=0.1)
    c = TestClient(w.app, base_url=ISSUER, follow_redirects=False, client=("10.6.6.7", 4000))
    codes = [staff_login(c, authorize_params(pkce()[1]), hsa_id=f"HSA-{i}",
                         password="guess", otp="1").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    clock.advance(10)
    assert staff_login(c, authorize_params(pkce()[1]), hsa_id="HSA-1",
                       password="guess", otp="1").status_code == 401


async def test_budget_refuses_beyond_its_permits() -> None:
    budget = HashBudget(budget_kib=128 * 1024, per_hash_kib=64 * 1024, wait_s=0.01)
    assert budget.permits == 2
    async with budget.slot(), budget.slot():
        with pytest.raises(HashingBusy):
            async with budget.slot():
                pass
    async with budget.slot():
        assert budget.running == 1


class _SlowHasher:
    """Counts verifications running at once (each would hold 64 MiB with argon2's defaults)."""

    def __init__(self, real) -> None:
        self.real, self.running, self.peak = real, 0, 0
        self._lock = threading.Lock()

    def verify(self, stored: str, password: str) -> bool:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.2)  # the hash's own duration, in its worker thread
            return self.real.verify(stored, password)
        finally:
            with self._lock:
                self.running -= 1

    def __getattr__(self, name: str):
        return getattr(self.real, name)


async def test_many_parallel_staff_logins_stay_within_the_memory_budget(monkeypatch) -> None:
    w = world()
    budget = HashBudget(budget_kib=2 * 64 * 1024, per_hash_kib=64 * 1024, wait_s=0.05)
    w.app.state.door = w.door = replace(w.door, hash_budget=budget)
    slow = _SlowHasher(staff_module._hasher)
    monkeypatch.setattr(staff_module, "_hasher", slow)
    transport = httpx.ASGITransport(app=w.app, client=("10.2.2.2", 1234))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        forms = []
        for _ in range(12):
            page = await http.get("/authorize", params=authorize_params(pkce()[1]))
            forms.append(form(page.text, "/login/staff").fields)
        answers = await asyncio.gather(*(http.post("/login/staff", data={
            **f, "hsa_id": "HSA-1", "password": PASSWORD, "otp": "000000"}) for f in forms))
    busy = [a for a in answers if a.status_code == 429]
    assert busy and all(int(a.headers["Retry-After"]) >= 1 for a in busy)
    assert all(a.status_code in (401, 429) for a in answers)
    assert slow.peak <= budget.permits == 2 and budget.peak <= 2

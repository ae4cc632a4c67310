"""Throttling and lockout rules (pure): free failures, exponential delays, the lockout at the
fifth failure, doubling locks, forgetting, and the per-address policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.identity.lockout import (
    ACCOUNT,
    CLIENT,
    Policy,
    State,
    account_key,
    record_failure,
    undo_failure,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
S = timedelta(seconds=1)


def after(failures: int, policy: Policy = ACCOUNT, step: timedelta = S) -> State:
    state = State()
    for i in range(failures):
        state = record_failure(state, T0 + i * step, policy)
    return state


@pytest.mark.parametrize(("failures", "block"), [
    (1, timedelta(0)), (2, timedelta(0)),  # two free tries (typos happen)
    (3, S), (4, 2 * S),  # then an exponential delay
    (5, timedelta(minutes=15)),  # the fifth locks for 15 minutes
    (6, timedelta(minutes=30)), (7, timedelta(hours=1)),  # each further failure doubles it
    (12, timedelta(days=1)), (500, timedelta(days=1)),  # up to a day, without overflowing
])
def test_account_policy(failures: int, block: timedelta) -> None:
    assert ACCOUNT.block_after(failures) == block


def test_client_policy_only_delays_and_caps_at_15_minutes() -> None:
    assert CLIENT.block_after(100) == timedelta(0)
    assert CLIENT.block_after(101) == S
    assert CLIENT.block_after(105) == 16 * S
    assert CLIENT.block_after(10_000) == timedelta(minutes=15)


def test_five_failures_lock_the_account() -> None:
    state = after(5)
    now = T0 + 4 * S
    assert state.failures == 5 and state.blocked(now)
    assert state.blocked_until == now + timedelta(minutes=15)
    assert state.retry_after(now) == 900
    assert not state.blocked(now + timedelta(minutes=15))
    assert state.retry_after(now + timedelta(minutes=16)) == 0


def test_delay_blocks_only_for_its_length() -> None:
    state = after(3)
    last = T0 + 2 * S
    assert state.blocked(last) and state.blocked(last + S / 2)
    assert not state.blocked(last + S)


def test_failures_after_a_quiet_day_start_again() -> None:
    state = after(5)
    later = T0 + timedelta(days=1, minutes=1)
    assert record_failure(state, later, ACCOUNT) == State(1, later, None)
    # Within the day, a failure after the lock ended locks again, for twice as long.
    soon = T0 + timedelta(minutes=20)
    relocked = record_failure(state, soon, ACCOUNT)
    assert relocked.failures == 6 and relocked.blocked_until == soon + timedelta(minutes=30)


def test_undo_gives_back_one_failure() -> None:
    assert undo_failure(after(3)).failures == 2
    assert undo_failure(State()).failures == 0


def test_account_key_hides_the_number_and_is_stable() -> None:
    key = account_key("191212121212")
    assert key.startswith("account:") and "191212121212" not in key
    assert key == account_key("191212121212") != account_key("198112289874")

"""Throttling and lockout after failed patient logins, per account and per client address.

Per account (keyed by the personnummer tried, whether or not anyone has it, so an unknown
number behaves exactly like a known one): two free failures, then an exponential delay
(1 s, 2 s), then at the fifth failure a 15-minute lockout that doubles with each further
failure (up to a day); a day without failures forgets them, a success resets them. Per
client address: 100 free failures, then an exponential delay up to 15 minutes.

Every attempt is counted as a failure *before* the password is checked and undone on
success, so parallel guesses cannot slip past the limit and a crash counts against the
attacker. The rules are pure (Policy, State); `Guard` keeps the state in login_throttle."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.identity.patients.tables import login_throttle

_MAX_DOUBLINGS = 30  # keeps 2**n finite; every block is capped long before


@dataclass(frozen=True)
class Policy:
    free_failures: int
    first_delay: timedelta
    max_block: timedelta
    forget_after: timedelta
    lock_after: int | None = None  # failures that lock; None: only delays
    lock_for: timedelta = timedelta(0)

    def block_after(self, failures: int) -> timedelta:
        """How long further attempts are refused after the `failures`-th failure."""
        if failures <= self.free_failures:
            return timedelta(0)
        if self.lock_after is not None and failures >= self.lock_after:
            block = self.lock_for * 2 ** min(failures - self.lock_after, _MAX_DOUBLINGS)
        else:
            block = self.first_delay * 2 ** min(failures - self.free_failures - 1, _MAX_DOUBLINGS)
        return min(block, self.max_block)


ACCOUNT = Policy(free_failures=2, first_delay=timedelta(seconds=1), lock_after=5,
                 lock_for=timedelta(minutes=15), max_block=timedelta(days=1),
                 forget_after=timedelta(days=1))
CLIENT = Policy(free_failures=100, first_delay=timedelta(seconds=1),
                max_block=timedelta(minutes=15), forget_after=timedelta(minutes=15))


@dataclass(frozen=True)
class State:
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until attempts are accepted again (0 if they are now)."""
        if not self.blocked(now):
            return 0
        assert self.blocked_until is not None
        return math.ceil((self.blocked_until - now).total_seconds())


def record_failure(state: State, now: datetime, policy: Policy) -> State:
    forgotten = state.last_failure_at is None or now - state.last_failure_at > policy.forget_after
    failures = 1 if forgotten else state.failures + 1
    block = policy.block_after(failures)
    return State(failures, now, now + block if block else None)


def undo_failure(state: State) -> State:
    """A success from a shared address gives back the failure counted up front."""
    return replace(state, failures=max(state.failures - 1, 0))


class AccountBlocked(Exception):
    """Delayed or locked: the caller answers exactly as for a wrong password."""


class ClientThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def account_key(personnummer: str) -> str:
    # Not a secret (the number space is small), only keeps the number out of this table.
    return "account:" + hashlib.sha256(personnummer.encode()).hexdigest()


@dataclass(frozen=True)
class Guard:
    account: Policy = ACCOUNT
    client: Policy = CLIENT

    async def begin(self, engine: AsyncEngine, personnummer: str, client_ip: str | None,
                    now: datetime | None = None) -> None:
        """Count this attempt as a failure now, or raise if it may not be made at all."""
        now = now or datetime.now(UTC)
        acct, client = account_key(personnummer), f"client:{client_ip}" if client_ip else None
        async with engine.begin() as conn:
            # Always the same order (account, then client), so two attempts cannot deadlock.
            account_state = await _load(conn, acct)
            if client:
                client_state = await _load(conn, client)
                if client_state.blocked(now):
                    raise ClientThrottled(client_state.retry_after(now))
                await _save(conn, client, record_failure(client_state, now, self.client))
            locked = account_state.blocked(now)
            if not locked:
                await _save(conn, acct, record_failure(account_state, now, self.account))
        if locked:  # raised after the commit: the client's failure still counts
            raise AccountBlocked

    async def succeeded(self, engine: AsyncEngine, personnummer: str,
                        client_ip: str | None) -> None:
        async with engine.begin() as conn:
            await _save(conn, account_key(personnummer), State())
            if client_ip:
                key = f"client:{client_ip}"
                await _save(conn, key, undo_failure(await _load(conn, key)))


async def throttle(engine: AsyncEngine, key: str, policy: Policy,
                   now: datetime | None = None) -> None:
    """Count one request against `key` (e.g. letter requests per address), or raise
    ClientThrottled while it is blocked."""
    now = now or datetime.now(UTC)
    async with engine.begin() as conn:
        state = await _load(conn, key)
        if state.blocked(now):
            raise ClientThrottled(state.retry_after(now))
        await _save(conn, key, record_failure(state, now, policy))


async def purge(engine: AsyncEngine, older_than: timedelta = timedelta(days=2),
                now: datetime | None = None) -> int:
    """Forget rows no policy remembers any more (every key tried leaves one)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    t = login_throttle
    async with engine.begin() as conn:
        result = await conn.execute(t.delete().where(
            (t.c.last_failure_at.is_(None) | (t.c.last_failure_at < cutoff)),
            t.c.blocked_until.is_(None) | (t.c.blocked_until < cutoff)))
    return result.rowcount


async def _load(conn: AsyncConnection, key: str) -> State:
    # The row must exist before it can be locked; a new key starts with no failures.
    await conn.execute(insert(login_throttle).values(throttle_key=key, failures=0)
                       .on_conflict_do_nothing(index_elements=["throttle_key"]))
    row = (await conn.execute(select(login_throttle).where(login_throttle.c.throttle_key == key)
                              .with_for_update())).one()
    return State(row.failures, row.last_failure_at, row.blocked_until)


async def _save(conn: AsyncConnection, key: str, state: State) -> None:
    await conn.execute(login_throttle.update().where(login_throttle.c.throttle_key == key)
                       .values(failures=state.failures, last_failure_at=state.last_failure_at,
                               blocked_until=state.blocked_until))

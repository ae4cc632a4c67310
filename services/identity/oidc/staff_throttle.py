"""Throttling of staff logins, in memory with a bound on its size (per replica).

Why not lock the account: a lock that every failure counts towards lets anyone who knows (or
guesses) a unit's HSA-ids keep its staff locked out. So failures are counted per
(HSA-id, client) pair, and only that pair is slowed and finally locked:

- per client address: a token bucket for every staff login attempt (a guesser from one
  address gets `capacity` quick attempts, then one per `1/refill` seconds, whatever HSA-ids);
- per (HSA-id, client): after `free_failures` failures each further one makes that pair wait
  1 s, 2 s, 4 s ... and after `lock_after` failures the pair is locked for `lock_for` (a day
  without failures forgets them; a success resets them). The real user, at another address,
  is never delayed by someone else's guesses.

Guessing from many addresses is bounded by the buckets times the addresses and, above all,
by the second factor: a TOTP code is single use and right for 1 guess in about 300,000.
Failures per HSA-id are counted in a metric for alerting, never used to refuse.

Both tables hold at most `max_entries` keys: the least recently used one goes first (an
attacker filling the table only forgets their own oldest entries). The clock is injectable,
so tests drive time without sleeping."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from prometheus_client import Counter

from services.identity.lockout import Policy, State, record_failure

Clock = Callable[[], datetime]
FAILURES = Counter("identity_staff_login_failures_total", "Failed staff logins")
THROTTLED = Counter("identity_staff_login_throttled_total",
                    "Staff logins refused before checking, by reason", ["reason"])

PAIR = Policy(free_failures=3, first_delay=timedelta(seconds=1), lock_after=20,
              lock_for=timedelta(minutes=30), max_block=timedelta(hours=6),
              forget_after=timedelta(days=1))


class StaffThrottled(Exception):
    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(f"{reason}: retry after {retry_after} s")
        self.retry_after, self.reason = retry_after, reason


@dataclass
class _Bucket:
    tokens: float
    at: datetime


V = TypeVar("V")


class _Lru(OrderedDict[str, V], Generic[V]):
    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self.max_entries = max_entries

    def touch(self, key: str, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.max_entries:
            self.popitem(last=False)


class StaffThrottle:
    def __init__(self, *, capacity: float = 20, refill_per_s: float = 0.5,
                 pair: Policy = PAIR, max_entries: int = 100_000,
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._capacity, self._refill, self._pair, self._clock = capacity, refill_per_s, pair, clock
        self._buckets: _Lru[_Bucket] = _Lru(max_entries)
        self._pairs: _Lru[State] = _Lru(max_entries)

    @staticmethod
    def _pair_key(hsa_id: str, client: str | None) -> str:
        return f"{hsa_id.strip().upper()}\x00{client or '-'}"

    def admit(self, hsa_id: str, client: str | None) -> None:
        """Take a token for the client and check the pair; raise StaffThrottled if refused."""
        now = self._clock()
        state = self._pairs.get(self._pair_key(hsa_id, client))
        if state is not None and state.blocked(now):
            THROTTLED.labels("delayed").inc()
            raise StaffThrottled(state.retry_after(now), "delayed")
        key = client or "-"
        bucket = self._buckets.get(key) or _Bucket(self._capacity, now)
        tokens = min(self._capacity,
                     bucket.tokens + (now - bucket.at).total_seconds() * self._refill)
        if tokens < 1:
            THROTTLED.labels("client").inc()
            self._buckets.touch(key, _Bucket(tokens, now))
            raise StaffThrottled(math.ceil((1 - tokens) / self._refill), "client")
        self._buckets.touch(key, _Bucket(tokens - 1, now))

    def failed(self, hsa_id: str, client: str | None) -> None:
        FAILURES.inc()
        key = self._pair_key(hsa_id, client)
        self._pairs.touch(key, record_failure(self._pairs.get(key, State()), self._clock(),
                                              self._pair))

    def succeeded(self, hsa_id: str, client: str | None) -> None:
        self._pairs.pop(self._pair_key(hsa_id, client), None)

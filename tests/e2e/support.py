"""Helpers for end-to-end tests: a client for the running system (through the gateway),
people from the seed file, and waiting on asynchronous results. The people and the waiting
live in devstack/people.py (the demo data and the benchmarks use them too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from devstack import people
from devstack.people import SEED, Person, sample_answers, staff_of

__all__ = ["SEED", "Person", "all_pages", "eventually", "sample_answers", "staff_of"]

T = TypeVar("T")

# Most waits cross services (Kafka, an outbox relay, a consumer): on a fresh 2-core CI
# machine running the whole stack, Chromium and the suite at once, 30 s was not always
# enough. A condition that holds returns at once, so a longer bound costs passing tests
# nothing.
WAIT_S = 60


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = WAIT_S,
                     what: str = "condition") -> T:
    """devstack.people.eventually with the tests' default bound (WAIT_S)."""
    return await people.eventually(probe, timeout=timeout, what=what)


async def all_pages(person: Person, path: str, *, audience: str = "careunit-mailbox",
                    **params: Any) -> list[dict]:
    """Every item of a keyset-paged listing ({"items", "next"}), following the cursors."""
    items: list[dict] = []
    after = None
    prefix = {"careunit-mailbox": "/api/careunit", "patient-mailbox": "/api/patient"}[audience]
    while True:
        query = {**params, "limit": 200, **({"after": after} if after else {})}
        r = await person._call(audience, "GET", f"{prefix}{path}", params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if not (after := body["next"]):
            return items

"""Helpers for end-to-end tests: a client for the running system (through the gateway),
people from the seed file, and waiting on asynchronous results. The people and the waiting
live in devstack/people.py (the demo data and the benchmarks use them too)."""

from __future__ import annotations

from typing import Any

from devstack.people import SEED, Person, eventually, sample_answers, staff_of

__all__ = ["SEED", "Person", "all_pages", "eventually", "sample_answers", "staff_of"]


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

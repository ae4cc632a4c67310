"""The notifier's patient contact cache (services.notifier.contact_cache) in front of
identity's internal API: hits within the TTL, dropped on invalidation, bounded, off while
its listener is not connected, and never storing a look-up that raced an invalidation."""

from __future__ import annotations

import asyncio

import httpx

from services.notifier.contact_cache import PatientContactCache
from services.notifier.contacts import IdentityContacts, PatientContact


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def identity(answers: dict[str, dict], calls: list[str]):
    def handler(request: httpx.Request) -> httpx.Response:
        patient = request.url.path.rsplit("/", 1)[1]
        calls.append(patient)
        return httpx.Response(200, json=answers[patient])
    return handler


def contacts(handler, cache: PatientContactCache) -> IdentityContacts:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return IdentityContacts(client, base_url="http://identity", api_key="k", cache=cache)


def live_cache(**kwargs) -> PatientContactCache:
    cache = PatientContactCache(**kwargs)
    cache.live = True
    return cache


async def test_a_patients_settings_are_looked_up_once_within_the_ttl():
    calls: list[str] = []
    clock = Clock()
    answers = {"p1": {"email": "anna@example.org", "notify": {"answer": True}}}
    c = contacts(identity(answers, calls), live_cache(ttl_s=60, clock=clock))
    first = await c.patient("p1")
    assert first == PatientContact("anna@example.org", {"answer": True})
    assert await c.patient("p1") == first and await c.address("patient", "p1") == first.email
    assert calls == ["p1"]
    clock.now = 60.0  # expired
    await c.patient("p1")
    assert calls == ["p1", "p1"]


async def test_a_change_invalidates_the_cached_settings():
    calls: list[str] = []
    cache = live_cache()
    answers = {"p1": {"email": "anna@example.org", "notify": {"answer": True}}}
    c = contacts(identity(answers, calls), cache)
    await c.patient("p1")
    answers["p1"] = {"email": "ny@example.org", "notify": {"answer": False}}
    cache.invalidate("p1")
    assert await c.patient("p1") == PatientContact("ny@example.org", {"answer": False})
    assert calls == ["p1", "p1"]


async def test_a_look_up_in_flight_during_an_invalidation_is_not_kept():
    cache, release = live_cache(), asyncio.Event()
    calls: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        calls.append("p1")
        await release.wait()
        return httpx.Response(200, json={"email": "old@example.org"})
    c = contacts(slow, cache)
    looking = asyncio.create_task(c.patient("p1"))
    await asyncio.sleep(0.01)
    cache.invalidate("p1")  # the change commits while identity's answer is on its way
    release.set()
    assert (await looking).email == "old@example.org"  # that mail was already under way
    assert len(cache) == 0
    await c.patient("p1")
    assert calls == ["p1", "p1"]


async def test_nothing_is_cached_while_the_listener_is_not_connected():
    calls: list[str] = []
    c = contacts(identity({"p1": {"email": None}}, calls), PatientContactCache())
    await c.patient("p1")
    await c.patient("p1")
    assert calls == ["p1", "p1"]


async def test_the_cache_is_bounded_oldest_out_first():
    cache = live_cache(max_entries=2)
    for patient in ("a", "b", "c"):
        cache.put(patient, PatientContact(None), cache.epoch)
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") is not None


def test_a_ttl_of_zero_caches_nothing():
    cache = live_cache(ttl_s=0)
    cache.put("a", PatientContact(None), cache.epoch)
    assert len(cache) == 0

"""The notifier's patient contact cache on a real PostgreSQL: ContactSettingsChanged handled
in one replica's inbox transaction drops the patient from every replica's cache when it
commits (LISTEN/NOTIFY), so the next mail's look-up asks identity again."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.notifier.contact_cache import PatientContactCache, announce_change
from services.notifier.contacts import IdentityContacts
from services.notifier.handlers import make_handlers
from shared import db
from shared.events import Source, decode_data, new_event
from shared.events.contracts import ContactSettingsChanged

pytestmark = pytest.mark.integration


async def until(check, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_consumed_change_empties_every_replicas_cache(infra):
    engine = db.make_engine(infra.cfg.database_url("platform", "scratch"))
    address = {"email": "anna@example.org", "notify": {"answer": True}}
    calls: list[str] = []

    def identity(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json=address)

    caches = [PatientContactCache(), PatientContactCache()]  # two notifier replicas
    listeners = [asyncio.create_task(c.listen(engine)) for c in caches]
    try:
        await until(lambda: all(c.live for c in caches))
        client = httpx.AsyncClient(transport=httpx.MockTransport(identity))
        replicas = [IdentityContacts(client, base_url="http://identity", api_key="k", cache=c)
                    for c in caches]
        for replica in replicas:
            await replica.patient("p-cache")
            assert (await replica.patient("p-cache")).email == "anna@example.org"
        assert len(calls) == 2  # one look-up per replica, then hits

        address = {"email": "ny@example.org", "notify": {"answer": False}}  # identity commits
        event = new_event(ContactSettingsChanged(patient_id="p-cache"),
                          source=Source(service="identity", region="stockholm"),
                          subject="p-cache")
        handler = make_handlers(contact_changed=announce_change)[ContactSettingsChanged]
        async with engine.begin() as conn:  # the consumer's inbox transaction
            await handler(conn, event, decode_data(event))
            await asyncio.sleep(0.1)
            assert all(len(c) == 1 for c in caches)  # nothing dropped before the commit
        await until(lambda: all(len(c) == 0 for c in caches))
        for replica in replicas:
            contact = await replica.patient("p-cache")
            assert (contact.email, contact.notify) == ("ny@example.org", {"answer": False})
        assert len(calls) == 4
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await engine.dispose()

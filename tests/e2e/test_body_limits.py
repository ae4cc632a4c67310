"""Every service refuses an oversized request body with 413 before it reads it, whatever the
route (even one that would need a login first), so no caller can make a service hold or
store more than the cap."""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytestmark = pytest.mark.e2e

# The services built on shared.web (the gateway gets its own cap; routing has no API).
SERVICES = {"identity": "/token", "forms": "/v1/forms",
            "patient-mailbox": "/v1/conversations", "careunit-mailbox": "/v1/units/x/messages",
            "notifier": "/anything", "audit": "/anything"}
# The cap of each: 256 KiB, except forms, which takes whole FHIR Questionnaires to import.
CAPS = {name: 256 * 1024 for name in SERVICES} | {"forms": 5 * 1024 * 1024}


async def announce_oversized(base_url: str, path: str, size: int) -> tuple[int, bytes]:
    """Sends only the headers of a POST whose Content-Length is `size`, and reads the answer:
    a service must refuse by the declared length, without waiting for the body (sending
    megabytes that the server has already refused races with it closing the connection)."""
    url = httpx.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: "
                     f"application/json\r\nContent-Length: {size}\r\nConnection: close\r\n"
                     "\r\n".encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=20)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize("service,path", sorted(SERVICES.items()))
async def test_an_oversized_body_gets_413_in_every_service(stack, service, path):
    base = stack.urls()[service]
    status, body = await announce_oversized(base, path, CAPS[service] + 1024)
    assert status == 413, (service, status)
    assert str(CAPS[service]).encode() in body
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        if CAPS[service] < 1024 * 1024:  # a real oversized body, streamed, is refused too
            r = await http.post(path, content=b"{" + b" " * (CAPS[service] + 1024) + b"}",
                                headers={"content-type": "application/json"})
            assert r.status_code == 413, (service, r.status_code)
        ok = await http.post(path, content=b"{}", headers={"content-type": "application/json"})
        assert ok.status_code != 413

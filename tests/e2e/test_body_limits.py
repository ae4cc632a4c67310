"""Every service refuses an oversized request body with 413 before it reads it, whatever the
route (even one that would need a login first), so no caller can make a service hold or
store more than the cap."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e

# The services built on shared.web (the gateway gets its own cap; routing has no API).
SERVICES = {"identity": "/token", "forms": "/v1/forms",
            "patient-mailbox": "/v1/conversations", "careunit-mailbox": "/v1/units/x/messages",
            "notifier": "/anything", "audit": "/anything"}
# The cap of each: 256 KiB, except forms, which takes whole FHIR Questionnaires to import.
CAPS = {name: 256 * 1024 for name in SERVICES} | {"forms": 5 * 1024 * 1024}


@pytest.mark.parametrize("service,path", sorted(SERVICES.items()))
async def test_an_oversized_body_gets_413_in_every_service(stack, service, path):
    async with httpx.AsyncClient(base_url=stack.urls()[service], timeout=20) as http:
        r = await http.post(path, content=b"{" + b" " * (CAPS[service] + 1024) + b"}",
                            headers={"content-type": "application/json"})
        assert r.status_code == 413, (service, r.status_code)
        assert str(CAPS[service]) in r.json()["detail"]
        ok = await http.post(path, content=b"{}", headers={"content-type": "application/json"})
        assert ok.status_code != 413

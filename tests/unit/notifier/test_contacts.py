import httpx
import pytest

from services.notifier.contacts import ContactLookupFailed, IdentityContacts


def contacts(handler, ttl=60.0):
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return IdentityContacts(client, base_url="http://identity/", api_key="k", unit_ttl_s=ttl)


async def test_unit_address_is_fetched_with_the_internal_key_and_cached():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"email": "enhet@example.org"})

    c = contacts(handler)
    assert await c.address("care_unit", "unit 1") == "enhet@example.org"
    assert await c.address("care_unit", "unit 1") == "enhet@example.org"
    assert len(calls) == 1
    assert calls[0].url.raw_path == b"/internal/v1/contacts/units/unit%201"
    assert calls[0].headers["x-internal-api-key"] == "k"


async def test_patient_addresses_are_not_cached_and_404_means_none():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(404)

    c = contacts(handler)
    assert await c.address("patient", "p1") is None
    assert await c.address("patient", "p1") is None
    assert calls == ["/internal/v1/contacts/patients/p1"] * 2


async def test_identity_errors_are_retryable_failures():
    c = contacts(lambda request: httpx.Response(503))
    with pytest.raises(ContactLookupFailed):
        await c.address("patient", "p1")


async def test_a_patient_comes_with_their_choices_and_a_verification_by_its_id():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if "verifications" in request.url.path:
            return httpx.Response(200, json={"email": "ny@example.org"})
        return httpx.Response(200, json={"email": None, "notify": {"answer": False}})

    c = contacts(handler)
    patient = await c.patient("p1")
    assert patient.email is None and patient.notify == {"answer": False}
    assert await c.verification_address("v 1") == "ny@example.org"
    assert calls == ["/internal/v1/contacts/patients/p1", "/internal/v1/contacts/verifications/v 1"]

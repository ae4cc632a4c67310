"""Internal endpoints take one credential per caller and allow only their own callers: the
gateway and routing hold none, a service's credential opens only the endpoints it needs, and
the old shared key is gone (tests/unit/sharedlib/test_internal_callers.py has the rules)."""

from __future__ import annotations

import httpx
import pytest

from devstack.services import service_specs, service_url

pytestmark = pytest.mark.e2e

# (service, method, path): every internal endpoint, and who may call it.
LETTERS = ("identity", "GET", "/internal/v1/letters")
CONTACT = ("identity", "GET", "/internal/v1/contacts/patients/no-such-patient")
VALIDATE = ("forms", "POST", "/internal/v1/forms/no-such-form/versions/1/validate")
FORM_VERSION = ("forms", "GET", "/internal/v1/forms/no-such-form/versions/1")
AUDIT = ("audit", "GET", "/v1/records")
NOTIFICATIONS = ("notifier", "GET", "/v1/notifications?conversation_id=c")
PSEUDONYM = ("identity", "POST", "/internal/v1/pseudonyms/patient")
ACCESS_LOG = ("careunit-mailbox", "GET", "/internal/v1/access-log")
UNIT_FILES = ("careunit-mailbox", "GET", "/internal/v1/attachments/no-such-unit-file")
PATIENT_FILES = ("patient-mailbox", "GET", "/internal/v1/attachments/no-such-file")
ALLOWED = {LETTERS: {"operator"}, CONTACT: {"notifier"}, VALIDATE: {"patient-mailbox"},
           FORM_VERSION: {"patient-mailbox"},
           AUDIT: {"operator"}, NOTIFICATIONS: {"operator"}, PSEUDONYM: {"audit"},
           ACCESS_LOG: {"audit"}, UNIT_FILES: {"patient-mailbox"},
           PATIENT_FILES: {"careunit-mailbox"}}
CALLERS = ("operator", "notifier", "patient-mailbox", "careunit-mailbox", "audit", "gateway",
           "routing")


async def call(stack, endpoint, credential: str | None) -> int:
    service, method, path = endpoint
    body = {} if method == "POST" else None
    headers = {"X-Internal-Api-Key": credential} if credential is not None else {}
    async with httpx.AsyncClient(base_url=service_url(stack.cfg, service), timeout=10) as http:
        return (await http.request(method, path, headers=headers, json=body)).status_code


def test_the_gateway_and_routing_hold_no_internal_credential(stack) -> None:
    for spec in service_specs(stack.cfg):
        names = {k for k in spec.env if "INTERNAL" in k}
        if spec.name in ("gateway", "routing"):
            assert names == set(), spec.name


async def test_each_credential_works_only_where_its_caller_is_allowed(stack) -> None:
    outcomes = {}
    for endpoint, allowed in ALLOWED.items():
        for caller in CALLERS:
            status = await call(stack, endpoint, stack.cfg.internal_credential(caller))
            outcomes[(endpoint[2], caller)] = status
            if caller in allowed:
                assert status not in (401, 403), (endpoint, caller, status)
            else:
                # A known caller the endpoint does not allow: 403; a credential the service
                # does not know at all (the gateway's, routing's: they have none): 401.
                assert status in (401, 403), (endpoint, caller, status)
        assert await call(stack, endpoint, None) in (401, 403)
        assert await call(stack, endpoint, "dev-only-internal-api-key-0123456789") in (401, 403)
    assert outcomes[(LETTERS[2], "notifier")] == 403  # known to identity, not for letters
    assert outcomes[(LETTERS[2], "operator")] == 200
    assert outcomes[(AUDIT[2], "operator")] == 200
    assert outcomes[(CONTACT[2], "notifier")] == 404  # past the check: no such patient
    assert outcomes[(FORM_VERSION[2], "patient-mailbox")] == 404  # past the check: no form
    assert outcomes[(ACCESS_LOG[2], "audit")] == 200
    assert outcomes[(UNIT_FILES[2], "patient-mailbox")] == 404  # past the check: no such file
    assert outcomes[(PATIENT_FILES[2], "careunit-mailbox")] == 404

"""Which upstream a public /api/<service>/<path> reaches, and which paths never do."""

import pytest

from services.gateway.proxy import target_url
from services.gateway.settings import GatewaySettings

UPSTREAMS = GatewaySettings(
    environment="test", identity_url="http://id:1/", forms_url="http://forms:2",
    patient_mailbox_url="http://pm:3", careunit_mailbox_url="http://cm:4",
    audit_url="http://audit:5").upstreams()


@pytest.mark.parametrize("service, path, expected", [
    ("identity", "v1/units", "http://id:1/v1/units"),
    ("identity", ".well-known/jwks.json", "http://id:1/.well-known/jwks.json"),
    ("forms", "v1/forms/abc", "http://forms:2/v1/forms/abc"),
    ("patient", "v1/conversations", "http://pm:3/v1/conversations"),
    ("careunit", "v1/units/SE1/inbox", "http://cm:4/v1/units/SE1/inbox"),
    ("audit", "v1/records", "http://audit:5/v1/records"),
    ("identity", "v1/units/Vård central", "http://id:1/v1/units/V%C3%A5rd%20central"),
])
def test_prefixes_map_to_their_services(service: str, path: str, expected: str) -> None:
    assert target_url(UPSTREAMS, service, path) == expected


@pytest.mark.parametrize("service, path", [
    ("identity", "internal/v1/contacts/units/SE1"),
    ("identity", "Internal/v1/contacts/units/SE1"),
    ("identity", "/internal/v1/contacts/units/SE1"),  # from /api/identity//internal/...
    ("identity", "v1/../internal/v1/contacts/units/SE1"),
    ("identity", "./internal/v1"),
    ("patient", "internal"),
    ("routing", "v1/anything"),  # not a public service
    ("notifier", "internal/v1/x"),
    ("patient", "metrics"), ("patient", "metrics/"), ("forms", "docs"), ("forms", "DOCS"),
    ("forms", "openapi.json"), ("audit", "redoc"), ("identity", "readyz"),
    ("identity", "healthz"), ("careunit", "docs/oauth2-redirect"),
    ("", "v1/units"),
])
def test_internal_and_unknown_paths_have_no_target(service: str, path: str) -> None:
    assert target_url(UPSTREAMS, service, path) is None

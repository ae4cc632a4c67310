"""identity's app as configured: no development login anywhere, the test e-ID and the test
client only outside production, and settings fail closed."""

import base64
import os

import pytest
from fastapi.testclient import TestClient

from services.identity.bootstrap import create_app
from services.identity.settings import IdentitySettings

KEK = base64.urlsafe_b64encode(os.urandom(32)).decode()
CALLERS = {"internal_caller_notifier": "n-cred", "internal_caller_operator": "o-cred",
           "internal_caller_audit": "a-cred", "kafka_password": "a-real-kafka-password"}


def _settings(environment: str, **overrides) -> IdentitySettings:
    values = {"environment": environment, "key_encryption_key": KEK,
              "internal_caller_notifier": "n-cred", "internal_caller_operator": "o-cred",
              "internal_caller_audit": "a-cred", "kafka_password": "a-real-kafka-password",
              "gateway_client_secret": "a-real-client-secret", **overrides}
    return IdentitySettings(**values)


@pytest.mark.parametrize("environment", ["production", "development", "test"])
def test_there_is_no_development_login(environment: str) -> None:
    client = TestClient(create_app(_settings(environment)))  # no lifespan: nothing connects
    for path in ("/v1/dev/login", "/dev/login", "/login"):
        assert client.post(path, json={"personnummer": "191212121212"}).status_code in (404, 405)


def test_test_e_id_and_test_client_are_not_in_production() -> None:
    production = _settings("production", test_eid_enabled=True)
    assert not production.test_eid_active and not production.test_client_active
    assert TestClient(create_app(production)).get("/test-eid/x").status_code == 404
    assert _settings("test").test_eid_active and _settings("development").test_client_active


def test_gateway_client_secret_fails_closed_in_production() -> None:
    with pytest.raises(ValueError, match="gateway_client_secret"):
        IdentitySettings(environment="production", key_encryption_key=KEK,
                         **CALLERS)


def test_placeholder_kek_refused_in_production() -> None:
    with pytest.raises(ValueError, match="key_encryption_key"):
        IdentitySettings(environment="production", **CALLERS)


def test_malformed_kek_gives_a_clear_error() -> None:
    with pytest.raises(ValueError, match="base64url of 32"):
        create_app(_settings("test", key_encryption_key="changethis"))


def test_issuer_is_the_identity_url_and_seed_only_by_default_in_dev() -> None:
    settings = _settings("production", identity_url="https://id.example/")
    assert settings.issuer == "https://id.example"
    assert settings.effective_seed_file is None
    assert _settings("development").effective_seed_file == "stockholm.json"
    assert _settings("development", seed_file="").effective_seed_file is None

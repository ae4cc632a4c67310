"""identity's app as configured: the development login exists only in development and test,
and settings fail closed."""

import base64

import pytest
from fastapi.testclient import TestClient

from services.identity.bootstrap import create_app
from services.identity.settings import IdentitySettings

KEK = base64.urlsafe_b64encode(b"k" * 32).decode()


def _settings(environment: str, **overrides) -> IdentitySettings:
    values = {"environment": environment, "key_encryption_key": KEK,
              "internal_api_key": "a-real-internal-key", **overrides}
    return IdentitySettings(**values)


def test_dev_login_is_not_mounted_in_production() -> None:
    settings = _settings("production")
    assert not settings.dev_login_enabled
    # No lifespan: nothing connects; an unmounted route answers 404 before any dependency.
    client = TestClient(create_app(settings))
    response = client.post("/v1/dev/login", json={"personnummer": "191212121212"})
    assert response.status_code == 404


@pytest.mark.parametrize("environment", ["development", "test"])
def test_dev_login_is_enabled_in_development_and_test(environment: str) -> None:
    assert _settings(environment).dev_login_enabled


@pytest.mark.parametrize("body", [
    {}, {"personnummer": "191212121213"}, {"personnummer": "191212121212", "hsa_id": "x"},
    {"hsa_id": "SE2321000016-S001", "loa": 2}, {"personnummer": "191212121212", "loa": 1},
    {"personnummer": "191212121212", "extra": True},
])
def test_malformed_login_is_422_without_echoing_input(body: dict) -> None:
    app = create_app(_settings("test"))
    app.state.identity = object()  # validation fails before the context is used
    response = TestClient(app).post("/v1/dev/login", json=body)
    assert response.status_code == 422
    assert "191212121213" not in response.text


def test_placeholder_kek_refused_in_production() -> None:
    with pytest.raises(ValueError, match="key_encryption_key"):
        IdentitySettings(environment="production", internal_api_key="a-real-internal-key")


def test_malformed_kek_gives_a_clear_error() -> None:
    with pytest.raises(ValueError, match="base64url of 32"):
        create_app(_settings("test", key_encryption_key="changethis"))


def test_issuer_is_the_identity_url_and_seed_only_by_default_in_dev() -> None:
    settings = _settings("production", identity_url="https://id.example/")
    assert settings.issuer == "https://id.example"
    assert settings.effective_seed_file is None
    assert _settings("development").effective_seed_file == "stockholm.json"
    assert _settings("development", seed_file="").effective_seed_file is None

"""The patient endpoints' edges that need no database: malformed input is a 422 naming what
is wrong (never echoing it) and the print queue needs the internal key. (The client
address: test_client_address.py.)"""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from services.identity.bootstrap import create_app
from services.identity.settings import IdentitySettings

KEK = base64.urlsafe_b64encode(b"k" * 32).decode()


@pytest.fixture
def client() -> TestClient:
    settings = IdentitySettings(environment="test", key_encryption_key=KEK,
                                internal_caller_notifier="n-cred",
                                internal_caller_operator="o-cred")
    app = create_app(settings)
    # No lifespan: validation and the key check answer before these are used.
    app.state.identity = SimpleNamespace(settings=settings)
    app.state.patient_activation = app.state.patient_auth = object()
    return TestClient(app)


@pytest.mark.parametrize(("path", "extra"), [
    ("/v1/patients/register", {}),
    ("/v1/patients/activate", {"password": "x", "activation_code": "ABCD"}),
])
@pytest.mark.parametrize(("number", "code"), [
    ("19121212-1213", "check_digit"), ("19121312-1212", "date"), ("12-12", "format"),
])
def test_invalid_personnummer_is_422_with_its_reason(client: TestClient, path: str, extra: dict,
                                                      number: str, code: str) -> None:
    response = client.post(path, json={"personnummer": number, **extra})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == code and detail["message_sv"] and detail["message_en"]
    assert number not in response.text


@pytest.mark.parametrize("body", [
    {}, {"personnummer": ""}, {"personnummer": "191212121212", "extra": 1},
    {"personnummer": "191212121212", "activation_code": "ABCD", "password": ""},
    {"personnummer": "191212121212", "activation_code": "ABCD", "password": "x" * 1025},
    {"personnummer": "191212121212", "activation_code": "", "password": "Sju sorters kakor"},
])
def test_malformed_activation_is_422(client: TestClient, body: dict) -> None:
    assert client.post("/v1/patients/activate", json=body).status_code == 422


def test_the_json_password_login_is_gone(client: TestClient) -> None:
    # Tokens come only from the OpenID Provider: its password login is at /authorize.
    body = {"personnummer": "191212121212", "password": "Sju sorters kakor"}
    assert client.post("/v1/patients/login", json=body).status_code == 404


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/internal/v1/letters"),
    ("GET", "/internal/v1/letters/0190d5e4-0000-7000-8000-000000000000/pdf"),
    ("POST", "/internal/v1/letters/0190d5e4-0000-7000-8000-000000000000/state"),
])
def test_print_queue_needs_the_internal_key(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 401
    wrong = client.request(method, path, headers={"x-internal-api-key": "wrong"})
    assert wrong.status_code == 401
    # The notifier's own credential is known to identity, but not for letters.
    notifier = client.request(method, path, headers={"x-internal-api-key": "n-cred"})
    assert notifier.status_code == 403

"""Per-caller internal credentials (shared.auth.InternalCallers, internal_caller): a caller
is known by its own credential, each endpoint allows only its callers, and an unset
(placeholder) credential is never accepted."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.identity.settings import IdentitySettings
from shared.auth import InternalCallers, internal_caller
from shared.settings import PLACEHOLDER


def app(callers: InternalCallers) -> TestClient:
    api = FastAPI()
    api.state.internal_callers = callers

    @api.get("/letters", dependencies=[Depends(internal_caller("operator"))])
    def letters() -> dict:
        return {}
    return TestClient(api)


def test_only_the_allowed_callers_credential_opens_the_endpoint() -> None:
    client = app(InternalCallers({"operator": "op-secret", "notifier": "n-secret"}))
    assert client.get("/letters", headers={"x-internal-api-key": "op-secret"}).status_code == 200
    denied = client.get("/letters", headers={"x-internal-api-key": "n-secret"})
    assert denied.status_code == 403 and "notifier may not" in denied.text
    assert client.get("/letters", headers={"x-internal-api-key": "guess"}).status_code == 401
    assert client.get("/letters").status_code == 401


def test_a_placeholder_credential_is_never_accepted() -> None:
    client = app(InternalCallers({"operator": PLACEHOLDER}))
    assert client.get("/letters", headers={"x-internal-api-key": PLACEHOLDER}).status_code == 401


def test_callers_come_from_the_services_settings() -> None:
    settings = IdentitySettings(environment="test", internal_caller_notifier=SecretStr("n"),
                                internal_caller_operator=SecretStr("o"))
    callers = InternalCallers.from_settings(settings)
    assert callers.identify("n") == "notifier" and callers.identify("o") == "operator"
    assert callers.identify("x") is None

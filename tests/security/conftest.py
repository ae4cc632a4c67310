"""The security suite runs against the whole stack (tests/stackfixtures.py), like e2e, and
uses the e2e login helpers."""

import httpx
import pytest

from tests.e2e import oidc_flow


@pytest.fixture(scope="session", autouse=True)
def _stack_for_logins(stack):
    oidc_flow.STACK = stack
    yield
    oidc_flow.STACK = None


@pytest.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack.urls()["gateway"], timeout=30) as client:
        yield client

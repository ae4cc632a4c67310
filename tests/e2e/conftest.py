"""End-to-end tests run against the whole stack; the login helpers need it too (patients'
password logins read their activation letter from identity's internal print queue)."""

import pytest

from tests.e2e import oidc_flow


@pytest.fixture(scope="session", autouse=True)
def _stack_for_logins(stack):
    oidc_flow.STACK = stack
    yield
    oidc_flow.STACK = None

"""One CommandError, answered by the shared web shell for every service."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from shared.errors import CommandError
from shared.web import create_app


@asynccontextmanager
async def _nothing(_app):
    yield


def _client() -> TestClient:
    app = create_app(title="t", lifespan=_nothing)

    @app.get("/conflict")
    async def conflict() -> None:
        raise CommandError(409, "already there")

    @app.get("/database-down")
    async def database_down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    @app.get("/invalid")
    async def invalid() -> None:
        raise CommandError(422, "not valid", ["item 1: required"])

    return TestClient(app)


def test_a_command_error_becomes_its_status_with_the_reason() -> None:
    answer = _client().get("/conflict")
    assert (answer.status_code, answer.json()) == (409, {"detail": "already there"})


def test_problems_are_listed_with_the_reason() -> None:
    answer = _client().get("/invalid")
    assert answer.status_code == 422
    assert answer.json() == {"detail": {"reason": "not valid", "problems": ["item 1: required"]}}


def test_an_unreachable_database_is_503_with_retry_after_not_500() -> None:
    answer = _client().get("/database-down")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    assert "SELECT" not in answer.text and "refused" not in answer.text

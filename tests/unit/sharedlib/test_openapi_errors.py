"""The error answers of the shared web shell are in every service's OpenAPI document, and the
answers really have the documented shape (what schemathesis holds the live services to)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import jsonschema
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.errors import CommandError
from shared.web import create_app


@asynccontextmanager
async def _nothing(_app):
    yield


class Note(BaseModel):
    text: str


def _app():
    app = create_app(title="t", lifespan=_nothing, max_body_bytes=64)

    @app.get("/v1/things")
    async def things() -> list[str]:
        return []

    @app.post("/v1/things/{thing_id}/notes", status_code=201)
    async def note(thing_id: str, body: Note) -> dict:
        raise CommandError(409, "closed", ["the thing is closed"])

    return app


def _answer_schema(doc: dict, path: str, method: str, status: int) -> dict:
    schema = doc["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"]["schema"]
    return {**schema, "components": doc["components"]}


def test_every_operation_documents_the_shared_error_answers() -> None:
    doc = TestClient(_app()).get("/openapi.json").json()
    listing = doc["paths"]["/v1/things"]["get"]["responses"]
    notes = doc["paths"]["/v1/things/{thing_id}/notes"]["post"]["responses"]
    assert {"200", "401", "403", "503"} <= set(listing) and "404" not in listing
    assert {"201", "401", "403", "404", "409", "413", "422", "503"} <= set(notes)


def test_the_answers_fit_the_documented_schemas() -> None:
    client = TestClient(_app())
    doc = client.get("/openapi.json").json()
    path = "/v1/things/{thing_id}/notes"
    for body, status in (({"text": "x"}, 409), ({"wrong": 1}, 422), ({"text": "x" * 100}, 413)):
        answer = client.post("/v1/things/t1/notes", json=body)
        assert answer.status_code == status, answer.text
        jsonschema.validate(answer.json(), _answer_schema(doc, path, "post", status))
    # ... and a shape that is not an error answer does not fit (the schema is not "anything")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"error": "x"}, _answer_schema(doc, path, "post", 409))

"""The error answers every service gives, written into its OpenAPI document.

FastAPI documents only the success status and its own 422, but every route of ours can
also answer: 401/403 from the token or internal-credential checks (shared/auth.py), 404 for
an id in the path or body that is not there (or not the caller's), 409 when a change conflicts with
the current state, 413 for a body over the cap (shared/bodylimit.py), 503 while the database
is unreachable (shared/errors.py), and 422 in the shape of shared/web.py's handler, not
FastAPI's default. schemathesis (tests/security/test_api_fuzz.py) holds every answer to this
document, so a status or body shape not listed here is a finding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR = "ErrorAnswer"
INVALID = "InvalidRequestAnswer"

_SCHEMAS: dict[str, dict[str, Any]] = {
    ERROR: {
        "title": ERROR, "type": "object", "required": ["detail"],
        "properties": {"detail": {"anyOf": [
            {"type": "string"},
            {"type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string"},
                "problems": {"type": "array", "items": {}}}},
            # identity's answers that its pages show the person in either language
            {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string"}, "message_en": {"type": "string"},
                "message_sv": {"type": "string"}}},
        ]}},
    },
    INVALID: {
        "title": INVALID, "type": "object", "required": ["detail", "errors"],
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["loc", "msg", "type"],
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"},
                               "type": {"type": "string"}}}}},
    },
}

_WHY = {
    "401": "No credential, or one that is not valid (expired, wrong audience, unknown).",
    "403": "A valid credential that may not do this (role, care unit, owner, caller).",
    "404": "An id in the path or body that does not exist or is not the caller's to see.",
    "409": "The change conflicts with the current state.",
    "413": "The request body is larger than the service accepts.",
    "415": "The request body's media type is not one the operation takes.",
    "422": "The request does not fit the operation's parameters or body.",
    "503": "A dependency (the database, another service) is not reachable just now.",
}


def _answer(code: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{ERROR}"}
    if code == "422":  # the validation handler's shape, or a use case's CommandError(422)
        schema = {"anyOf": [{"$ref": f"#/components/schemas/{INVALID}"}, schema]}
    return {"description": _WHY[code], "content": {"application/json": {"schema": schema}}}


def _codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["401", "403", "422", "503"]
    if "{" in path or "requestBody" in operation:
        codes.append("404")
    if method != "get":
        codes.append("409")
    if "requestBody" in operation:
        codes += ["413", "415"]
    return codes


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the error answers to every operation of a generated OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(_SCHEMAS)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for code in _codes(path, method, operation):
                responses[code] = _answer(code)
    return schema


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Every service caps request bodies: 413 with the limit, before the route reads anything,
whether the body declares its length or streams in chunks."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from fastapi import Request

from shared.web import create_app

LIMIT = 4096
received: list[int] = []


def make_app():
    @asynccontextmanager
    async def lifespan(_app):
        yield

    app = create_app(title="t", lifespan=lifespan, max_body_bytes=LIMIT)

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        body = await request.body()
        received.append(len(body))
        return {"size": len(body)}
    return app


async def post(content) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/echo", content=content)


async def test_a_body_within_the_cap_reaches_the_route_whole():
    r = await post(b"x" * LIMIT)
    assert r.status_code == 200 and r.json() == {"size": LIMIT}


async def test_a_declared_oversized_body_is_refused_with_413_and_the_route_never_runs():
    received.clear()
    r = await post(b"x" * (LIMIT + 1))
    assert r.status_code == 413
    assert str(LIMIT) in r.json()["detail"]
    assert received == []


async def test_a_streamed_body_without_length_is_cut_off_at_the_cap():
    received.clear()

    async def chunks():
        for _ in range(10):
            yield b"y" * 1000

    r = await post(chunks())
    assert r.status_code == 413
    assert received == []


def test_services_default_to_256_kib_and_the_setting_is_per_service(monkeypatch):
    from services.audit.settings import AuditSettings
    from services.forms.settings import FormsSettings

    assert AuditSettings(environment="test").max_request_body_bytes == 256 * 1024
    # forms takes whole FHIR Questionnaires to import
    assert FormsSettings(environment="test").max_request_body_bytes == 5 * 1024 * 1024
    monkeypatch.setenv("FORMS_MAX_REQUEST_BODY_BYTES", "65536")
    assert FormsSettings(environment="test").max_request_body_bytes == 65536

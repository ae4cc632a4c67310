"""The request observer of every service (shared.web.Observe, pure ASGI): the correlation id
taken or made and sent back, metrics labelled with the route template, the log level rule
(DEBUG normally, WARNING for a 500 — also when the route raised), streamed responses passed
through whole, and the body limit still outermost."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY

from shared.bodylimit import BodySizeLimit
from shared.web import Observe, create_app


def make_app():
    @asynccontextmanager
    async def lifespan(_app):
        yield

    app = create_app(title="t", lifespan=lifespan, max_body_bytes=100)

    @app.post("/things/{thing_id}")
    async def thing(thing_id: str) -> dict:
        return {"id": thing_id}

    @app.get("/boom/{thing_id}")
    async def boom(thing_id: str) -> dict:
        raise RuntimeError("a bug")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts():
            for i in range(3):
                yield f"part{i};".encode()
        return StreamingResponse(parts(), media_type="text/plain")
    return app


def count(route: str, method: str, status: int) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {
        "route": route, "method": method, "status": str(status)}) or 0.0


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_correlation_id_metrics_by_template_and_debug_log(client, caplog) -> None:
    before = count("/things/{thing_id}", "POST", 200)
    with caplog.at_level(logging.DEBUG, logger="shared.web"):
        given = await client.post("/things/abc-1", headers={"x-correlation-id": "cid-7"})
        made = await client.post("/things/abc-2")
    assert given.json() == {"id": "abc-1"} and given.headers["x-correlation-id"] == "cid-7"
    assert len(made.headers["x-correlation-id"]) == 36  # a fresh uuid
    assert count("/things/{thing_id}", "POST", 200) == before + 2
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert [(r.levelno, r.path, r.status) for r in lines] == [  # type: ignore[attr-defined]
        (logging.DEBUG, "/things/{thing_id}", 200)] * 2


async def test_a_route_that_raises_is_counted_and_logged_as_500(client, caplog) -> None:
    before = count("/boom/{thing_id}", "GET", 500)
    with caplog.at_level(logging.INFO, logger="shared.web"):
        answer = await client.get("/boom/1")
    assert answer.status_code == 500
    assert count("/boom/{thing_id}", "GET", 500) == before + 1
    (line,) = [r for r in caplog.records if r.getMessage() == "request"]
    assert line.levelno == logging.WARNING and line.status == 500  # type: ignore[attr-defined]


async def test_a_streamed_response_passes_whole_with_its_header_counted_once(client) -> None:
    before = count("/stream", "GET", 200)
    answer = await client.get("/stream", headers={"x-correlation-id": "cid-s"})
    assert answer.text == "part0;part1;part2;" and answer.headers["x-correlation-id"] == "cid-s"
    assert count("/stream", "GET", 200) == before + 1


async def test_the_body_limit_stays_outermost_and_unmatched_paths_are_one_label(client) -> None:
    assert [m.cls for m in make_app().user_middleware] == [BodySizeLimit, Observe]
    refused = await client.post("/things/x", content=b"y" * 101)
    assert refused.status_code == 413 and "x-correlation-id" not in refused.headers
    before = count("unmatched", "GET", 404)
    assert (await client.get("/no/such/path")).status_code == 404
    assert count("unmatched", "GET", 404) == before + 1


@pytest.mark.parametrize("given", ["x" * 65, "a b", "<script>"])
async def test_an_overlong_or_odd_correlation_id_is_replaced(client, given) -> None:
    answer = await client.post("/things/abc-3", headers={"x-correlation-id": given})
    assert answer.status_code == 200
    assert answer.headers["x-correlation-id"] != given
    assert len(answer.headers["x-correlation-id"]) == 36  # a fresh uuid instead

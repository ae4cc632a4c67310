"""httpx through aiohttp (shared.http_transport) against a real HTTP server on a local port:
what a caller sends arrives whole and what the server answers comes back whole (repeated
headers, status, compressed bodies decoded by httpx as before), connections are kept and
reused, no cookie is kept between calls, and each failure is the httpx error the callers
already catch; the same through `exchange`, the gateway proxy's call past httpx's client."""

from __future__ import annotations

import asyncio
import gzip
import socket

import httpx
import pytest
from aiohttp import web

from shared.http_transport import AiohttpTransport, ExchangeOver

pytestmark = pytest.mark.integration


class Upstream:
    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.peers: set[tuple] = set()

    async def echo(self, request: web.Request) -> web.Response:
        self.seen.append({"method": request.method, "path_qs": request.path_qs,
                          "headers": request.headers.copy(), "body": await request.read()})
        self.peers.add(request.transport.get_extra_info("peername"))
        response = web.Response(status=201, body=b'{"ok": true}',
                                content_type="application/json")
        response.headers.add("X-Repeated", "one")
        response.headers.add("X-Repeated", "two")
        response.set_cookie("upstream", "1")
        return response

    async def compressed(self, _: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(b"plain text " * 100),
                            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def slow(self, _: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def cut(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"partial")
        request.transport.close()  # the connection ends before the promised body
        return response


@pytest.fixture
async def upstream():
    ups = Upstream()
    app = web.Application()
    app.router.add_route("*", "/echo", ups.echo)
    app.router.add_get("/gzip", ups.compressed)
    app.router.add_get("/slow", ups.slow)
    app.router.add_get("/cut", ups.cut)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ups.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield ups
    await runner.cleanup()


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5.0) as c:
        yield c


async def test_request_and_answer_pass_whole(upstream, client) -> None:
    answer = await client.post(f"{upstream.base}/echo?unit=SE1&x=%C3%A5", content=b'{"a": 1}',
                               headers={"authorization": "Bearer t",
                                        "content-type": "application/json",
                                        "x-correlation-id": "cid-1"})
    assert (answer.status_code, answer.json()) == (201, {"ok": True})
    assert answer.headers.get_list("x-repeated") == ["one", "two"]
    assert answer.headers["content-type"].startswith("application/json")
    sent = upstream.seen[0]
    assert (sent["method"], sent["path_qs"], sent["body"]) == (
        "POST", "/echo?unit=SE1&x=%C3%A5", b'{"a": 1}')
    assert sent["headers"]["authorization"] == "Bearer t"
    assert sent["headers"]["x-correlation-id"] == "cid-1"
    assert sent["headers"].getall("content-length") == ["8"]  # httpx's, not a second one


async def test_connections_are_reused_and_no_cookie_is_kept(upstream) -> None:
    # By name, not address: aiohttp's own jar keeps no cookie from an IP address anyway.
    # httpx's jar is emptied each time, so what reaches the server is the transport's doing.
    by_name = upstream.base.replace("127.0.0.1", "localhost")
    async with httpx.AsyncClient(transport=AiohttpTransport()) as c:
        for _ in range(5):
            await c.get(f"{by_name}/echo")
            c.cookies.clear()
    assert len(upstream.peers) == 1  # one connection, kept alive
    assert all("cookie" not in seen["headers"] for seen in upstream.seen)


async def test_a_compressed_answer_is_decoded_once(upstream, client) -> None:
    answer = await client.get(f"{upstream.base}/gzip")
    assert answer.text == "plain text " * 100


async def test_failures_are_httpx_errors(upstream) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.3) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(f"http://127.0.0.1:{closed}/x")
        with pytest.raises(httpx.TimeoutException):
            await c.get(f"{upstream.base}/slow")
        with pytest.raises(httpx.TransportError):
            await c.get(f"{upstream.base}/cut")
        # The pool is still usable after each.
        assert (await c.get(f"{upstream.base}/echo")).status_code == 201


async def test_closing_the_client_closes_the_pool(upstream) -> None:
    transport = AiohttpTransport()
    async with httpx.AsyncClient(transport=transport) as c:
        await c.get(f"{upstream.base}/echo")
        session = transport._session
        assert session is not None and not session.closed
    assert session.closed and transport._session is None


async def test_an_exchange_passes_whole_and_comes_back_decoded(upstream) -> None:
    transport = AiohttpTransport()
    try:
        answer = await transport.exchange(
            "POST", f"{upstream.base}/echo?unit=SE1", [("authorization", "Bearer t")],
            b'{"a": 1}', connect_s=5, read_s=5)
        assert (answer.status, answer.content) == (201, b'{"ok": true}')
        assert answer.header("x-repeated") == "one"
        assert answer.header("content-type").startswith("application/json")
        assert answer.header("x-missing") is None
        sent = upstream.seen[0]
        assert (sent["path_qs"], sent["body"]) == ("/echo?unit=SE1", b'{"a": 1}')
        assert sent["headers"]["authorization"] == "Bearer t"
        zipped = await transport.exchange("GET", f"{upstream.base}/gzip", [], b"",
                                          connect_s=5, read_s=5)
        assert zipped.content == b"plain text " * 100
        with pytest.raises(httpx.TimeoutException):
            await transport.exchange("GET", f"{upstream.base}/slow", [], b"",
                                     connect_s=5, read_s=0.3)
    finally:
        await transport.aclose()


async def test_an_exchange_over_an_httpx_transport_answers_the_same(upstream) -> None:
    # What the gateway's tests put behind the proxy: here the real transport, so both ways
    # must agree.
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        over = ExchangeOver(client._transport)
        answer = await over.exchange("GET", f"{upstream.base}/gzip", [], b"",
                                     connect_s=5, read_s=5)
        assert (answer.status, answer.content) == (200, b"plain text " * 100)

"""A service keeps an idle keep-alive connection open longer than its callers' httpx clients
keep theirs (5 s), so a caller never reuses a connection the server is closing that instant.
With uvicorn's default (5 s, the same as httpx's) about 4 % of requests made 5 s apart
failed with "server disconnected", which the gateway answered 502."""

from __future__ import annotations

import asyncio
import socket

import httpx
import uvicorn
from fastapi import FastAPI

from shared import http_transport
from shared.serve import UVICORN_OPTIONS

HTTPX_KEEPALIVE_EXPIRY_S = httpx.Limits().keepalive_expiry or 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_idle_connection_outlives_the_callers_expiry() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict:
        return {"ok": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           **UVICORN_OPTIONS))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ping HTTP/1.1\r\nhost: t\r\n\r\n")
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        await reader.readexactly(len(b'{"ok":true}'))
        await asyncio.sleep(HTTPX_KEEPALIVE_EXPIRY_S + 0.5)  # past the caller's expiry
        writer.write(b"GET /ping HTTP/1.1\r\nhost: t\r\n\r\n")  # the same connection, again
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        writer.close()
    finally:
        server.should_exit = True
        await serving


def test_the_servers_keep_alive_outlasts_every_callers() -> None:
    # The connection test above waits out httpx's own expiry; the services' callers send
    # through aiohttp (shared.http_transport), which lets go of an idle connection later.
    assert UVICORN_OPTIONS["timeout_keep_alive"] > max(HTTPX_KEEPALIVE_EXPIRY_S,
                                                       http_transport.KEEP_ALIVE_S) + 5

"""An httpx transport that sends through aiohttp: the services keep httpx's client API (and
the tests their `httpx.MockTransport`), while the connection pool, the wire and the response
parsing are aiohttp's, whose parser is compiled. httpx's own pool (httpcore, with h11 in pure
Python) cost about 1.2 ms of CPU per request under concurrency, through aiohttp 0.35 ms
(bench/httpclient.py); the gateway forwards every API call and was spending a third of its
CPU there.

The gateway's proxy goes one step further: it calls `exchange` (an `Exchange`) directly and
skips httpx's client too (its URL and header models were most of those 0.35 ms). Tests put
any httpx transport behind the same call with `ExchangeOver`.

Only what the services use is carried over: whole bodies both ways (no streaming; bodies are
small JSON or a bounded attachment), the request's timeouts, and errors mapped to httpx's
(`httpx.ConnectError`, the timeouts, `httpx.ReadError`...), so callers catch what they caught
before. No cookies are kept. Through httpx's client nothing is decompressed here (httpx
decodes, as with its own transport); an exchange's body comes decoded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import aiohttp
import httpx

# aiohttp closes an idle connection after this; the servers keep one for 75 s
# (shared.serve.KEEP_ALIVE_S), so the client always lets go first and never reuses a
# connection the server is closing.
KEEP_ALIVE_S = 15.0
MAX_CONNECTIONS = 100  # as httpx's default limit

Headers = Sequence[tuple[str, str]]


class Answer(NamedTuple):
    status: int
    headers: Sequence[tuple[bytes, bytes]]  # as they came (decoded bodies: see exchange)
    content: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header (name in lower case), or None."""
        wanted = name.encode()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None


class Exchange(Protocol):
    async def exchange(self, method: str, url: str, headers: Headers, body: bytes, *,
                       connect_s: float | None, read_s: float | None) -> Answer: ...


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = MAX_CONNECTIONS,
                 keep_alive_s: float = KEEP_ALIVE_S) -> None:
        self._max_connections, self._keep_alive_s = max_connections, keep_alive_s
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections,
                                               keepalive_timeout=self._keep_alive_s),
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"))
        return self._session

    async def exchange(self, method: str, url: str, headers: Headers, body: bytes, *,
                       connect_s: float | None, read_s: float | None,
                       decompress: bool = True) -> Answer:
        """One request and its whole answer; failures raise httpx's errors (without their
        request: the caller has none)."""
        timeout = aiohttp.ClientTimeout(total=None, connect=connect_s, sock_read=read_s)
        try:
            async with self._client().request(
                    method, url, headers=headers, data=body or None, timeout=timeout,
                    allow_redirects=False, auto_decompress=decompress) as answer:
                return Answer(answer.status, answer.raw_headers, await answer.read())
        except aiohttp.ServerTimeoutError as exc:
            raise httpx.ReadTimeout(str(exc)) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc)) from exc
        except TimeoutError as exc:
            raise httpx.TimeoutException(str(exc) or "timed out") from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        except aiohttp.ClientPayloadError as exc:
            raise httpx.ReadError(str(exc)) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__) from exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        try:
            answer = await self.exchange(
                request.method, str(request.url), request.headers.multi_items(),
                await request.aread(), connect_s=timeouts.get("connect"),
                read_s=timeouts.get("read"), decompress=False)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        return httpx.Response(answer.status, headers=list(answer.headers),
                              content=answer.content, extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            # Lets the connector's transports finish closing before the loop may end
            # (aiohttp's advice for a graceful shutdown).
            await asyncio.sleep(0)


class ExchangeOver:
    """`Exchange` through any httpx transport (the tests' MockTransport)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def exchange(self, method: str, url: str, headers: Headers, body: bytes, *,
                       connect_s: float | None, read_s: float | None) -> Answer:
        request = httpx.Request(method, url, headers=list(headers), content=body, extensions={
            "timeout": {"connect": connect_s, "read": read_s, "write": read_s,
                        "pool": connect_s}})
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request
            raise
        content = await response.aread()
        return Answer(response.status_code, response.headers.raw, content)

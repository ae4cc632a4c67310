"""An httpx transport that sends through aiohttp: the services keep httpx's client API (and
the tests their `httpx.MockTransport`), while the connection pool, the wire and the response
parsing are aiohttp's, whose parser is compiled. httpx's own pool (httpcore, with h11 in pure
Python) cost about 0.7 ms of CPU per request under concurrency, aiohttp about 0.1 ms
(bench/httpclient.py); the gateway forwards every API call and was spending a third of its
CPU there.

Only what the services use is carried over: whole bodies both ways (no streaming; bodies are
small JSON or a bounded attachment), the request's timeouts, and errors mapped to httpx's
(`httpx.ConnectError`, the timeouts, `httpx.ReadError`...), so callers catch what they caught
before. No cookies are kept and nothing is decompressed here (httpx decodes, as with its own
transport)."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx

# aiohttp closes an idle connection after this; the servers keep one for 75 s
# (shared.serve.KEEP_ALIVE_S), so the client always lets go first and never reuses a
# connection the server is closing.
KEEP_ALIVE_S = 15.0
MAX_CONNECTIONS = 100  # as httpx's default limit


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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, connect=timeouts.get("connect"), sock_read=timeouts.get("read"))
        body = await request.aread()
        try:
            async with self._client().request(
                    request.method, str(request.url), headers=request.headers.multi_items(),
                    data=body or None, timeout=timeout, allow_redirects=False) as answer:
                content = await answer.read()
                headers = list(answer.raw_headers)  # bytes pairs, as they came
                status = answer.status
        except aiohttp.ServerTimeoutError as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except TimeoutError as exc:
            raise httpx.TimeoutException(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientPayloadError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__,
                                            request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc
        return httpx.Response(status, headers=headers, content=content,
                              extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            # Lets the connector's transports finish closing before the loop may end
            # (aiohttp's advice for a graceful shutdown).
            await asyncio.sleep(0)

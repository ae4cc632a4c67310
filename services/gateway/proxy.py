"""Reverse proxy to the services: which upstream URL a public path maps to, and the
forwarding itself (straight through the shared aiohttp pool, shared.http_transport's
`Exchange`; bodies are small JSON, so no streaming).

Internal endpoints (/internal/...) exist for service-to-service calls inside the
deployment, and each service's operational endpoints (metrics, health, API docs) are for the
cluster: none is reachable through the gateway, however the path is spelt.

The address the gateway sees is appended to X-Forwarded-For, so that services behind it
(identity throttles patient logins and letter requests per client) can tell one client
from another; they believe the header only from proxies they trust, and read it from the
right. Logins do not come through here: /login redirects the browser to identity, which then
sees the browser itself, and the gateway's own calls to identity (token, refresh, revoke)
are not made on a client's behalf."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import httpx
from fastapi import HTTPException, Request, Response

from shared import logs
from shared.http_transport import Exchange

# Request headers passed on; cookies and anything else stay at the gateway.
FORWARD_REQUEST = ("authorization", "content-type", "accept")
FORWARD_RESPONSE = ("content-type", "www-authenticate", "cache-control", "content-disposition",
                    "x-content-type-options")


# First path segments of upstream internals (FastAPI's docs, health, Prometheus).
UNREACHABLE = frozenset({"internal", "metrics", "docs", "redoc", "openapi.json", "healthz",
                         "readyz"})


def target_url(upstreams: Mapping[str, str], service: str, path: str) -> str | None:
    """The upstream URL for /api/<service>/<path>, or None if there is none to reach."""
    base = upstreams.get(service)
    if base is None or not _allowed(path):
        return None
    return f"{base}/{quote(path)}"


def _allowed(path: str) -> bool:
    segments = path.split("/")
    # Empty, "." or ".." segments could be normalised into another path further on.
    if any(s in ("", ".", "..") for s in segments[:-1]) or segments[-1] in (".", ".."):
        return False
    return segments[0].lower() not in UNREACHABLE


def forwarded_for(request: Request) -> str:
    """The chain the caller sent (if any) with the caller's own address appended."""
    hops = [*request.headers.getlist("x-forwarded-for"),
            request.client.host if request.client else "unknown"]
    return ", ".join(h.strip() for h in hops if h.strip())


async def forward(upstream: Exchange, timeout_s: float, request: Request, service: str,
                  url: str, bearer: str | None = None) -> Response:
    """`bearer`: the session's access token, when the caller sent no Authorization."""
    headers = [(name, value) for name in FORWARD_REQUEST
               if (value := request.headers.get(name)) is not None]
    if bearer is not None:
        headers.append(("authorization", f"Bearer {bearer}"))
    # The same correlation id on both hops: the caller's if it was acceptable, else the one
    # the request observer made (shared.web.Observe).
    headers.append(("x-correlation-id", logs.correlation_id.get() or ""))
    headers.append(("x-forwarded-for", forwarded_for(request)))
    if request.url.query:
        url = f"{url}?{request.url.query}"
    try:
        answer = await upstream.exchange(request.method, url, headers, await request.body(),
                                         connect_s=timeout_s, read_s=timeout_s)
    except httpx.TimeoutException as exc:
        raise HTTPException(504, f"{service} did not answer in time") from exc
    except httpx.TransportError as exc:
        raise HTTPException(502, f"{service} is unavailable ({type(exc).__name__})") from exc
    return Response(content=answer.content, status_code=answer.status,
                    headers={name: value for name in FORWARD_RESPONSE
                             if (value := answer.header(name)) is not None})

"""CPU per internal HTTP call on the caller's side (issue 13): httpx with its own transport
(httpcore and h11), httpx sending through aiohttp (shared.http_transport, what the services
use), that transport's own `exchange` (what the gateway's proxy uses) and aiohttp on its
own, each making the same GET with a gateway's headers to a uvicorn server in another
process (a 1 kB JSON answer), 8 calls at a time, round by round in turn; the figures are the
medians of the rounds. Only this process's CPU is counted, so the server's share (the same
for all) is left out.

    python -m bench.httpclient [--rounds 5] [--calls 2000] [--out DIR]"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

from bench import alternate, cli
from shared.http_transport import AiohttpTransport

AT_ONCE = 8
HEADERS = {"authorization": "Bearer " + "t" * 600, "x-correlation-id": "c" * 36,
           "x-forwarded-for": "203.0.113.9", "accept": "application/json"}
SERVER = """
import sys, uvicorn
BODY = b'{"items": [' + b','.join(b'{"id": "%032d", "status": "new"}' % i for i in range(24)) + b']}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            http="httptools", loop="uvloop")
"""

Call = Callable[[str], Awaitable[bytes]]


async def _cpu_us_per_call(call: Call, url: str, calls: int) -> float:
    await call(url)  # the connection is open before the clock starts
    started = time.process_time()
    for _ in range(calls // AT_ONCE):
        await asyncio.gather(*(call(url) for _ in range(AT_ONCE)))
    return (time.process_time() - started) / (calls // AT_ONCE * AT_ONCE) * 1e6


async def _round(url: str, calls: int) -> dict[str, float]:
    figures = {}
    async with httpx.AsyncClient() as plain:
        async def httpx_own(u: str) -> bytes:
            return (await plain.get(u, headers=HEADERS)).content
        figures["httpx"] = await _cpu_us_per_call(httpx_own, url, calls)
    async with httpx.AsyncClient(transport=AiohttpTransport()) as through:
        async def httpx_aiohttp(u: str) -> bytes:
            return (await through.get(u, headers=HEADERS)).content
        figures["httpx_over_aiohttp"] = await _cpu_us_per_call(httpx_aiohttp, url, calls)
    pool = AiohttpTransport()
    try:
        async def exchange(u: str) -> bytes:
            return (await pool.exchange("GET", u, list(HEADERS.items()), b"",
                                        connect_s=5, read_s=5)).content
        figures["exchange"] = await _cpu_us_per_call(exchange, url, calls)
    finally:
        await pool.aclose()
    async with aiohttp.ClientSession() as session:
        async def aiohttp_own(u: str) -> bytes:
            async with session.get(u, headers=HEADERS) as answer:
                return await answer.read()
        figures["aiohttp"] = await _cpu_us_per_call(aiohttp_own, url, calls)
    return figures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _rounds(port: int, rounds: int, calls: int) -> list[dict[str, float]]:
    return [await _round(f"http://127.0.0.1:{port}/v1/items?unit=SE1", calls)
            for _ in range(rounds)]


def _measure(rounds: int, calls: int) -> list[dict[str, float]]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                time.sleep(0.1)
        return asyncio.run(_rounds(port, rounds, calls))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = cli.parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    samples = _measure(args.rounds, args.calls)
    medians = alternate.median(samples, 1)
    alternate.save(args.out, "httpclient.json", {
        "rounds": args.rounds, "calls": args.calls, "at_once": AT_ONCE,
        "unit": "microseconds of the caller's CPU per call (median of rounds)",
        "per_call": medians,
        "ratio_to_httpx": {name: round(v / medians["httpx"], 2) for name, v in medians.items()},
        "rounds_seen": samples})


if __name__ == "__main__":
    main()

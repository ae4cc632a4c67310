"""One measuring process of bench.reqpath: requests driven straight into the ASGI apps (no
server, no sockets) of whichever `services`/`shared` packages are first on PYTHONPATH (this
branch's, or an older commit's extracted by the driver), so the old and the new request path
run alike. Per operation: CPU of this process (time.process_time) and wall time per call,
after a warm-up. Prints one JSON object.

    python bench/reqpath_worker.py CALLS    (run by bench.reqpath)"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pydantic import BaseModel

import services
from services.gateway.bootstrap import create_app as gateway_app
from services.gateway.settings import GatewaySettings
from shared.web import create_app as service_app

WARM = 200
# The same design-system assets for both trees (an extracted one has no node_modules).
GATEWAY = GatewaySettings(environment="test", identity_url="http://id.test",
                          forms_url="http://forms.test", mailsink_url="http://mail.test:8025",
                          assets_dir=Path(__file__).resolve().parents[1] / "node_modules")
UNITS = httpx.Response(200, json=[{"unit_id": f"SE-{i}", "name": f"Unit {i}"} for i in range(5)])


class Thing(BaseModel):
    name: str
    count: int


def plain_service():
    @asynccontextmanager
    async def lifespan(_app):
        yield

    app = service_app(title="bench", lifespan=lifespan)

    @app.post("/v1/things/{thing_id}")
    async def put_thing(thing_id: str, thing: Thing) -> dict:
        return {"id": thing_id, "name": thing.name, "count": thing.count}
    return app


async def call(app, method: str, path: str, body: bytes = b"",
               headers: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    """One request through the whole ASGI stack; the status it answered."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": method, "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"content-length", str(len(body)).encode()),
                         *headers],
             "client": ("127.0.0.1", 50000), "server": ("bench", 80), "state": {}}
    given = False
    status = 0

    async def receive() -> dict:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is sent
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(one, calls: int) -> dict:
    for _ in range(WARM):
        await one()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await one()
    return {"cpu_us": (time.process_time() - cpu) / calls * 1e6,
            "wall_us": (time.perf_counter() - wall) / calls * 1e6}


async def measure(calls: int) -> dict:
    service = plain_service()
    body = b'{"name": "a thing", "count": 3}'
    json_type = ((b"content-type", b"application/json"),)
    gateway = gateway_app(GATEWAY, transport=httpx.MockTransport(lambda _: UNITS))
    ops = {
        "service_post_json": lambda: call(service, "POST", "/v1/things/t-1", body, json_type),
        "service_healthz": lambda: call(service, "GET", "/healthz"),
        "gateway_proxy_get": lambda: call(gateway, "GET", "/api/identity/v1/units"),
        "gateway_start_page": lambda: call(gateway, "GET", "/"),
        "gateway_asset": lambda: call(gateway, "GET", "/assets/ui/app.css"),
    }
    async with gateway.router.lifespan_context(gateway):
        for name, one in ops.items():
            assert await one() == 200, name
        return {name: await timed(one, calls) for name, one in ops.items()}


def main() -> None:
    logging.disable(logging.WARNING)  # the request log's DEBUG lines are off, as in a run
    calls = int(sys.argv[1])
    ops = asyncio.run(measure(calls))
    print(json.dumps({"tree": services.__path__[0], "ops": ops}))


if __name__ == "__main__":
    main()

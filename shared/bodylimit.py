"""A cap on request bodies for every service (pure ASGI middleware).

A body larger than the cap is refused with 413 before the application sees any of it:
by its Content-Length when it declares one, else while it streams in (chunked requests).
Bodies within the cap are buffered (at most the cap) and replayed to the application, so
the app never reads a byte past the limit and a refused request writes nothing."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 larger: tuple[tuple[str, int], ...] = ()) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.larger = tuple((re.compile(pattern), cap) for pattern, cap in larger)

    def cap_for(self, path: str) -> int:
        return next((cap for pattern, cap in self.larger if pattern.fullmatch(path)),
                    self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cap = self.cap_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            return await self._refuse(send, cap)
        try:
            body = await self._read(receive, cap)
        except BodyTooLarge:
            return await self._refuse(send, cap)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, cap: int) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(self, send: Send, cap: int) -> None:
        body = json.dumps({"detail": f"request body larger than {cap} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

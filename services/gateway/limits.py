"""Request body limits: a body over `max_bytes` never reaches a handler. By its
Content-Length, or (without one) counted while it is read here; bodies are small, so the
allowed ones are held and replayed. A refused request is marked in its state, and the
gateway's middleware answers 413 with the reason (a page, or JSON for /api/)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: disconnect notices, as usual
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        scope.setdefault("state", {})["body_too_large"] = True
        await self.app(scope, _nothing, send)
